//! Runs that must fail fast with a clear message.

use std::time::Duration;

use loadgen::Config;

#[tokio::test]
async fn refuses_non_loopback_urls() {
    let error = loadgen::run(Config::new("ws://192.0.2.1:8080/ws"))
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("not a loopback address"),
        "{error:#}"
    );
    let mut config = Config::new("ws://127.0.0.1:8080/ws");
    config.join_url = Some("http://example.com".into());
    assert!(loadgen::run(config).await.is_err());
}

#[tokio::test]
async fn reports_why_nobody_connected() {
    // Bind then drop: the port is very likely closed for the moment.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = Config::new(format!("ws://127.0.0.1:{port}/ws"));
    config.clients = 3;
    config.setup_timeout = Duration::from_secs(5);
    let error = loadgen::run(config).await.unwrap_err().to_string();
    assert!(
        error.contains("no client could set up") && error.contains("connect"),
        "{error}"
    );
}
