//! `cargo xtask …`: one place for setting up, building, running and testing
//! vision-chat on a fresh machine.
//!
//! * `cargo xtask run [PROXY FLAGS]` — install what is missing, build the
//!   widget (release, wasm-opt) and the proxy, then run the proxy serving it.
//! * `cargo xtask test` — install what is missing (tools, Chromium,
//!   chromedriver, npm packages), then fmt, clippy (host and wasm32), native
//!   tests, browser tests of the widget, proxy integration tests and the
//!   end-to-end tests. Non-zero exit on any failure.
//! * `cargo xtask setup`, `cargo xtask build` — the first steps on their own.
//! * `cargo xtask bench` — the benchmarks; each prints its figures.
//!
//! Every install step checks first, so a warm machine pays nothing.

mod compress;
mod imports;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use tools::{run, Tools};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    // `cargo xtask run -- --listen …`: the separator is for cargo, not the proxy.
    let rest: Vec<String> = args.collect();
    let rest = match rest.split_first() {
        Some((first, tail)) if first == "--" => tail.to_vec(),
        _ => rest,
    };
    let root = project_root();
    let result = match command.as_str() {
        "setup" => Tools::install(&root, false).map(|_| ()),
        "build" => Tools::install(&root, false).and_then(|t| build(&root, &t)),
        "run" => Tools::install(&root, false).and_then(|t| run_proxy(&root, &t, &rest)),
        "test" => test(&root, &rest),
        "bench" => Tools::install(&root, true).and_then(|t| bench(&root, &t, &rest)),
        _ => {
            eprintln!(
                "usage: cargo xtask <setup | build | run [PROXY FLAGS] | test | bench>\n\n\
                 run   builds the widget and serves it with the proxy (demo endpoint unless\n      \
                 AZURE_INFERENCE_ENDPOINT and AZURE_INFERENCE_CREDENTIAL are set)\n\
                 test  runs every check and test; exits non-zero on any failure"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Builds the widget into `dist/` (release, wasm-opt) and the proxy (release).
fn build(root: &Path, tools: &Tools) -> Result<(), String> {
    println!("xtask: building the widget (release, wasm-opt) into dist/");
    run(tools.command("trunk").args(["build", "--release"]).current_dir(root))?;
    let dist = root.join("dist");
    // The JavaScript an embedding page loads, minified in place (Trunk
    // minifies the styles itself).
    for script in ["vision-chat.js", "widget.js", "frame.js"] {
        let file = dist.join(script);
        run(tools
            .command("terser")
            .args(["--module", "--compress", "--mangle", "--output"])
            .arg(&file)
            .arg("--")
            .arg(&file))?;
    }
    let renamed = imports::shorten(&dist.join("widget_bg.wasm"), &dist.join("widget.js"), "./widget_bg.js")?;
    println!("xtask: gave the {renamed} imports of widget_bg.wasm short names (in widget.js too)");
    let started = Instant::now();
    let sizes = compress::precompress(&dist)?;
    println!("xtask: precompressed dist/ in {:.1} s (bytes: file, .gz, .br)", started.elapsed().as_secs_f64());
    for s in &sizes {
        let name = s.file.file_name().unwrap_or_default().to_string_lossy();
        println!("  {name:<24} {:>8} {:>8} {:>8}", s.raw, s.gzip, s.brotli);
    }
    println!("xtask: building the proxy (release)");
    run(Command::new("cargo").args(["build", "--release", "--package", "vision-chat-proxy"]).current_dir(root))
}

fn proxy_binary(root: &Path) -> PathBuf {
    root.join("target/release/vision-chat-proxy")
}

fn run_proxy(root: &Path, tools: &Tools, flags: &[String]) -> Result<(), String> {
    build(root, tools)?;
    let mut proxy = Command::new(proxy_binary(root));
    proxy.args(["--static-dir", "dist"]).args(flags).current_dir(root);
    println!("xtask: starting the proxy; open the URL below in a browser (Ctrl+C stops it)");
    run(&mut proxy)
}

/// One named step of the test command.
struct Step {
    name: &'static str,
    outcome: Result<(), String>,
    seconds: f64,
}

fn test(root: &Path, _args: &[String]) -> Result<(), String> {
    let tools = Tools::install(root, true)?;
    let mut steps: Vec<Step> = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> Result<(), String>| {
        println!("\n==== {name}");
        let started = Instant::now();
        let outcome = f();
        if let Err(e) = &outcome {
            eprintln!("xtask: step '{name}' failed: {e}");
        }
        steps.push(Step { name, outcome, seconds: started.elapsed().as_secs_f64() });
    };

    step("format (cargo fmt --check)", &mut || {
        run(Command::new("cargo").args(["fmt", "--all", "--check"]).current_dir(root))
    });
    step("clippy, host", &mut || {
        run(Command::new("cargo")
            .args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
            .current_dir(root))
    });
    step("clippy, wasm32", &mut || {
        run(Command::new("cargo")
            .args([
                "clippy",
                "--package",
                "vision-chat",
                "--all-targets",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(root))
    });
    step("native tests (protocol, widget logic, proxy integration)", &mut || {
        run(Command::new("cargo").args(["test", "--workspace"]).current_dir(root))
    });
    step("widget tests in headless Chromium (wasm-bindgen-test)", &mut || {
        run(tools
            .command("cargo")
            .args(["test", "--package", "vision-chat", "--target", "wasm32-unknown-unknown", "--test", "browser"])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", root.join("tests/webdriver.json"))
            .env("CHROMEDRIVER", &tools.chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
            .current_dir(root))
    });
    let mut built = false;
    step("release build (widget and proxy)", &mut || {
        let r = build(root, &tools);
        built = r.is_ok();
        r
    });
    step("end-to-end tests in headless Chromium", &mut || {
        if !built {
            return Err("skipped: the release build failed".into());
        }
        run(tools
            .command("node")
            .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
            .args([
                "e2e.test.mjs",
                "images.test.mjs",
                "answers.test.mjs",
                "settings.test.mjs",
                "recovery.test.mjs",
                "connection.test.mjs",
                "embed.test.mjs",
            ])
            .env("VISION_CHAT_PROXY", proxy_binary(root))
            .env("VISION_CHAT_DIST", root.join("dist"))
            .env("CHROMIUM", &tools.chromium)
            .current_dir(root.join("tests/e2e")))
    });

    step("official Python clients (azure-ai-inference, openai) against the proxy", &mut || {
        if !built {
            return Err("skipped: the release build failed".into());
        }
        run(Command::new(&tools.python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/python"])
            .env("VISION_CHAT_PROXY", proxy_binary(root))
            .env("VISION_CHAT_DIST", root.join("dist"))
            .current_dir(root))
    });

    println!("\n==== summary");
    for s in &steps {
        let status = if s.outcome.is_ok() { "ok    " } else { "FAILED" };
        println!("{status} {:>6.1}s  {}", s.seconds, s.name);
    }
    let failed = steps.iter().filter(|s| s.outcome.is_err()).count();
    println!("steps: {} passed, {} failed", steps.len() - failed, failed);
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} step(s) failed"))
    }
}

fn bench(root: &Path, tools: &Tools, _args: &[String]) -> Result<(), String> {
    build(root, tools)?;
    run(Command::new("cargo")
        .args(["run", "--quiet", "--release", "--package", "vision-chat-proxy", "--example", "proxy_bench"])
        .current_dir(root))?;
    run(tools
        .command("node")
        .arg("bench.mjs")
        .env("VISION_CHAT_PROXY", proxy_binary(root))
        .env("VISION_CHAT_DIST", root.join("dist"))
        .env("CHROMIUM", &tools.chromium)
        .current_dir(root.join("tests/e2e")))
}
