//! Makes sure the web client is built before `src/web.rs` embeds
//! `web/dist`: when `web/dist/index.html` is missing or older than any of
//! the client's sources, runs `npm ci` (if `web/node_modules` is missing or
//! older than the lockfile) and `npm run build` in `web/`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// What the built client depends on, relative to `web/`.
const SOURCES: [&str; 7] = [
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = manifest.join("../../web");
    let index = web.join("dist/index.html");
    for s in SOURCES {
        let p = web.join(s);
        // A path that does not exist would make cargo rerun this every time.
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
    println!("cargo:rerun-if-changed={}", index.display());

    if is_current(&web, &index) {
        return;
    }
    // Two cargo invocations (build and clippy, two profiles) may get here at
    // once; one builds while the other waits, then finds dist current.
    let lock = File::open(web.join("package.json")).unwrap_or_else(|e| {
        fail(&format!(
            "cannot open {}: {e}",
            web.join("package.json").display()
        ))
    });
    if let Err(e) = lock.lock() {
        fail(&format!("cannot lock web/package.json: {e}"));
    }
    if is_current(&web, &index) {
        return;
    }
    let installed = web.join("node_modules/.package-lock.json");
    if mtime(&installed).is_none_or(|t| Some(t) < mtime(&web.join("package-lock.json"))) {
        npm(&web, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&web, &["run", "build"]);
    if !index.exists() {
        fail("`npm run build` in web/ finished without writing web/dist/index.html");
    }
}

/// True when dist/index.html exists and no source is newer.
fn is_current(web: &Path, index: &Path) -> bool {
    let Some(built) = mtime(index) else {
        return false;
    };
    SOURCES
        .iter()
        .filter_map(|s| newest(&web.join(s)))
        .all(|t| t <= built)
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file, or of anything under a directory.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    let entries = std::fs::read_dir(path).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|e| newest(&e.path()))
        .chain(own)
        .max()
}

fn npm(dir: &Path, args: &[&str]) {
    let program = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        // Cargo sets DEBUG for build scripts; Node tools read it as a list
        // of debug log namespaces.
        .env_remove("DEBUG")
        // Lines on a build script's stdout are cargo instructions.
        .stdout(Stdio::from(std::io::stderr()))
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!(
            "`npm {}` in {} failed ({s}); building the web client needs Node.js 20.19+ and npm",
            args.join(" "),
            dir.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail(
            "building the web client (web/) needs Node.js 20.19+ and npm, which were not found. \
             Install them (e.g. `apt-get install nodejs npm`), or build web/dist yourself: \
             `cd web && npm ci && npm run build`",
        ),
        Err(e) => fail(&format!("cannot run npm: {e}")),
    }
}

fn fail(msg: &str) -> ! {
    // Cargo shows a failed build script's stderr; a panic would add only a
    // backtrace.
    eprintln!("error: {msg}");
    std::process::exit(1);
}
