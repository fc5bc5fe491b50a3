//! Office uploads are converted to PDF in the background. A stand-in for
//! LibreOffice (a script with soffice's command line) checks the whole job:
//! the command it is given, the stored PDF, failures, a missing converter
//! and the deadline; the last test runs the real LibreOffice, which
//! `scripts/test` installs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Reply, config, http, token};

/// A PPTX as far as sniffing goes: a zip whose entries name `ppt/`.
fn pptx() -> Vec<u8> {
    let mut v = b"PK\x03\x04\x14\x00\x00\x00[Content_Types].xml".to_vec();
    v.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00ppt/slides/slide1.xml<p:sld/>");
    v.extend(std::iter::repeat_n(b'x', 1000));
    v
}

fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_owned()
}

/// soffice's arguments end with `--outdir DIR INPUT`; a fake that writes
/// INPUT's name into DIR/document.pdf as a PDF.
const CONVERTS: &str = r#"for a; do [ "$last" = "--outdir" ] && outdir=$a; last=$a; done
case "$*" in *--headless*--convert-to\ pdf*) ;; *) echo "unexpected args: $*" >&2; exit 2;; esac
printf '%%PDF-1.4\nconverted %s\n' "$(basename "$last")" > "$outdir/document.pdf""#;

async fn upload(addr: std::net::SocketAddr, room: &str) -> Value {
    let bearer = format!("Bearer {}", token(room, "p1"));
    let r = http(
        addr,
        "POST",
        &format!("/api/rooms/{room}/uploads"),
        &[("Authorization", &bearer)],
        &pptx(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// Polls the conversion until it is no longer queued or converting (for up
/// to 10 s).
async fn finished(addr: std::net::SocketAddr, url: &str) -> Value {
    finished_within(addr, url, 200).await
}

/// The PDF of a finished conversion, served as one.
async fn converted_pdf(addr: std::net::SocketAddr, done: &Value) -> Reply {
    assert_eq!(done["state"], "done", "{done}");
    let pdf = http(addr, "GET", done["pdf"]["url"].as_str().unwrap(), &[], b"").await;
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    pdf
}

async fn finished_within(addr: std::net::SocketAddr, url: &str, polls: usize) -> Value {
    for _ in 0..polls {
        let r: Reply = http(addr, "GET", url, &[], b"").await;
        assert_eq!(r.status, 200);
        let j = r.json();
        if j["state"] != "queued" && j["state"] != "converting" {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the conversion did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_documents_become_pdfs() {
    let dir = tempfile::tempdir().unwrap();
    let soffice = script(dir.path(), "soffice", CONVERTS);
    let running = server::start(config(dir.path(), &["--soffice", &soffice]))
        .await
        .unwrap();
    let up = upload(running.addr, "c1").await;
    assert_eq!(
        up["contentType"],
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    );
    assert_eq!(up["conversion"]["state"], "queued");
    let url = up["conversion"]["url"].as_str().unwrap();
    let pdf = converted_pdf(running.addr, &finished(running.addr, url).await).await;
    assert_eq!(pdf.body, b"%PDF-1.4\nconverted document.pptx\n");
    // The same document again shares the finished job.
    let again = upload(running.addr, "c1").await;
    assert_eq!(again["conversion"]["state"], "done");
    let unknown = http(
        running.addr,
        "GET",
        &format!("/api/conversions/{}", "0".repeat(64)),
        &[],
        b"",
    )
    .await;
    assert_eq!(unknown.status, 404);
    running.shutdown();
    running.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversion_failures_say_why() {
    let dir = tempfile::tempdir().unwrap();
    // LibreOffice missing.
    let missing = dir.path().join("no-such-soffice");
    let running = server::start(config(
        dir.path(),
        &["--soffice", missing.to_str().unwrap()],
    ))
    .await
    .unwrap();
    let up = upload(running.addr, "c2").await;
    let j = finished(running.addr, up["conversion"]["url"].as_str().unwrap()).await;
    assert_eq!(j["error"]["code"], "converter_missing", "{j}");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not available")
    );
    running.shutdown();
    running.wait().await.unwrap();

    // LibreOffice fails.
    let failing = script(
        dir.path(),
        "failing",
        "echo 'Error: source file could not be loaded' >&2; exit 1",
    );
    let running = server::start(config(dir.path(), &["--soffice", &failing]))
        .await
        .unwrap();
    let up = upload(running.addr, "c2").await;
    let j = finished(running.addr, up["conversion"]["url"].as_str().unwrap()).await;
    assert_eq!(j["error"]["code"], "conversion_failed", "{j}");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap()
            .contains("source file could not be loaded"),
        "{j}"
    );
    running.shutdown();
    running.wait().await.unwrap();

    // LibreOffice hangs: the deadline ends it.
    let hanging = script(dir.path(), "hanging", "sleep 30");
    let running = server::start(config(
        dir.path(),
        &["--soffice", &hanging, "--convert-timeout-secs", "1"],
    ))
    .await
    .unwrap();
    let up = upload(running.addr, "c2").await;
    let j = finished(running.addr, up["conversion"]["url"].as_str().unwrap()).await;
    assert_eq!(j["error"]["code"], "conversion_timeout", "{j}");
    running.shutdown();
    running.wait().await.unwrap();
}

/// The real LibreOffice, when installed: an OpenDocument text (made by
/// LibreOffice itself from plain text) uploaded by a member becomes a
/// stored PDF with a page. `scripts/test` installs LibreOffice and
/// sets `TERTULIA_REQUIRE_SOFFICE=1`, so there this test cannot skip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_libreoffice_converts_a_document() {
    let Some(soffice) = which("soffice") else {
        assert!(
            std::env::var_os("TERTULIA_REQUIRE_SOFFICE").is_none(),
            "TERTULIA_REQUIRE_SOFFICE is set but soffice is not on PATH"
        );
        eprintln!("skipped: soffice is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("agenda.txt");
    std::fs::write(&text, "Tertulia agenda\n\nSlides, video and notes.\n").unwrap();
    // LibreOffice keeps a profile; a fresh one per run keeps runs apart.
    let profile = format!(
        "-env:UserInstallation=file://{}/profile",
        dir.path().display()
    );
    let made = std::process::Command::new(&soffice)
        .args([&profile, "--headless", "--convert-to", "odt", "--outdir"])
        .arg(dir.path())
        .arg(&text)
        .output()
        .expect("run soffice");
    assert!(made.status.success(), "{made:?}");
    let odt = std::fs::read(dir.path().join("agenda.odt")).expect("the .odt");

    let running = server::start(config(
        dir.path(),
        &["--soffice", soffice.to_str().unwrap()],
    ))
    .await
    .unwrap();
    let bearer = format!("Bearer {}", token("lo", "p1"));
    let up = http(
        running.addr,
        "POST",
        "/api/rooms/lo/uploads",
        &[("Authorization", &bearer)],
        &odt,
    )
    .await;
    assert_eq!(up.status, 201, "{}", String::from_utf8_lossy(&up.body));
    let up = up.json();
    assert_eq!(up["contentType"], "application/vnd.oasis.opendocument.text");
    // LibreOffice's first start takes a few seconds: up to 60 s.
    let url = up["conversion"]["url"].as_str().unwrap();
    let done = finished_within(running.addr, url, 1200).await;
    let pdf = converted_pdf(running.addr, &done).await;
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF");
    assert!(
        pdf.body
            .windows(10)
            .any(|w| w == b"/Type/Page" || w == b"/Type /Pag"),
        "with a page"
    );
    running.shutdown();
    running.wait().await.unwrap();
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}
