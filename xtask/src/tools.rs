//! Installs the pinned tools the project needs, each only when missing.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TRUNK_VERSION: &str = "0.21.14";
const BINARYEN_VERSION: &str = "132";
const TERSER_VERSION: &str = "5.51.4";

/// Where the tools are, once installed.
pub struct Tools {
    /// Prepended to PATH for every command that builds or tests.
    path: OsString,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// The Python with the official API clients (only with `browser`: the test set-up).
    pub python: PathBuf,
}

impl Tools {
    /// Installs what is missing. `browser`: also Chromium, chromedriver and
    /// the end-to-end tests' npm packages.
    pub fn install(root: &Path, browser: bool) -> Result<Tools, String> {
        ensure_wasm_target()?;
        let cargo_bin = cargo_home().join("bin");
        ensure_cargo_tool(
            &cargo_bin,
            "trunk",
            &["--version"],
            &format!("trunk {TRUNK_VERSION}"),
            &["install", "trunk", "--version", TRUNK_VERSION, "--locked"],
        )?;
        let bindgen = wasm_bindgen_version(root)?;
        // No --locked: its lock file names a crate version the registry here does not serve.
        ensure_cargo_tool(
            &cargo_bin,
            "wasm-bindgen",
            &["--version"],
            &format!("wasm-bindgen {bindgen}"),
            &["install", "wasm-bindgen-cli", "--version", &bindgen],
        )?;
        let binaryen_bin = ensure_binaryen()?;
        let terser_bin = ensure_terser()?;

        let mut dirs = vec![binaryen_bin, terser_bin, cargo_bin];
        dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        let path = std::env::join_paths(dirs).map_err(|e| e.to_string())?;

        let (chromium, chromedriver, python) = if browser {
            let (chromium, driver) = ensure_chromium()?;
            ensure_npm_packages(&root.join("tests/e2e"))?;
            let python = ensure_python_clients(&root.join("tests/python/requirements.txt"))?;
            (chromium, driver, python)
        } else {
            (PathBuf::from("/usr/bin/chromium"), PathBuf::from("/usr/bin/chromedriver"), PathBuf::from("python3"))
        };
        Ok(Tools { path, chromium, chromedriver, python })
    }

    /// A command with the tools first on PATH.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("PATH", &self.path);
        c
    }
}

/// Runs a command to completion, inheriting stdio.
pub fn run(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{:?} exited with {status}", command.get_program()))
    }
}

fn output(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"))
        .join("vision-chat")
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == "wasm32-unknown-unknown") => Ok(()),
        Ok(_) => {
            println!("xtask: adding the wasm32-unknown-unknown target");
            run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
        }
        // Without rustup the toolchain must already have the target.
        Err(_) => Ok(()),
    }
}

fn ensure_cargo_tool(bin: &Path, name: &str, probe: &[&str], expect: &str, install: &[&str]) -> Result<(), String> {
    let have = output(&bin.join(name), probe);
    if have.as_deref().is_some_and(|v| v.starts_with(expect)) {
        return Ok(());
    }
    println!("xtask: installing {expect} (found {})", have.as_deref().unwrap_or("none"));
    run(Command::new("cargo").args(install))
}

/// The wasm-bindgen version in Cargo.lock: the CLI must equal it.
fn wasm_bindgen_version(root: &Path) -> Result<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock names no wasm-bindgen version".into())
}

/// binaryen from npm: Debian's wasm-opt 108 corrupts wasm-bindgen output.
fn ensure_binaryen() -> Result<PathBuf, String> {
    let expect = format!("version {BINARYEN_VERSION}");
    ensure_npm_tool("binaryen", &format!("{BINARYEN_VERSION}.0.0"), "wasm-opt", |v| v.contains(&expect))
}

/// terser from npm: minifies the JavaScript the release build ships
/// (Trunk's own minifier cannot parse wasm-bindgen's glue).
fn ensure_terser() -> Result<PathBuf, String> {
    ensure_npm_tool("terser", TERSER_VERSION, "terser", |v| v.ends_with(TERSER_VERSION))
}

/// `package@version` from npm in its own cache directory, unless its
/// `program --version` already says `installed`; returns its bin directory.
fn ensure_npm_tool(
    package: &str,
    version: &str,
    program: &str,
    installed: impl Fn(&str) -> bool,
) -> Result<PathBuf, String> {
    let dir = cache_dir().join(format!("{package}-{version}"));
    let bin = dir.join("node_modules/.bin");
    if output(&bin.join(program), &["--version"]).is_some_and(|v| installed(&v)) {
        return Ok(bin);
    }
    println!("xtask: installing {package} {version} from npm into {}", dir.display());
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    run(Command::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(format!("{package}@{version}")))?;
    Ok(bin)
}

fn ensure_chromium() -> Result<(PathBuf, PathBuf), String> {
    let chromium = PathBuf::from(std::env::var_os("CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()));
    let driver = PathBuf::from(std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| "/usr/bin/chromedriver".into()));
    if chromium.is_file() && driver.is_file() {
        return Ok((chromium, driver));
    }
    let is_root = output(Path::new("id"), &["-u"]).as_deref() == Some("0");
    let has_apt = Path::new("/usr/bin/apt-get").is_file();
    if !(is_root && has_apt) {
        return Err(format!(
            "the browser tests need Chromium and chromedriver ({} / {}). Install them, e.g. on Debian: \
             sudo apt-get update && sudo apt-get install -y chromium chromium-driver \
             (or set CHROMIUM and CHROMEDRIVER to their paths)",
            chromium.display(),
            driver.display()
        ));
    }
    println!("xtask: installing Chromium and chromedriver from Debian");
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    Ok((chromium, driver))
}

/// The end-to-end tests' npm packages, reinstalled when the lock changes.
fn ensure_npm_packages(dir: &Path) -> Result<(), String> {
    let lock = std::fs::read(dir.join("package-lock.json")).map_err(|e| format!("package-lock.json: {e}"))?;
    let stamp = dir.join("node_modules/.vision-chat-lock");
    if std::fs::read(&stamp).ok().as_deref() == Some(lock.as_slice()) {
        return Ok(());
    }
    println!("xtask: installing the end-to-end tests' npm packages");
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir))?;
    std::fs::write(&stamp, lock).map_err(|e| e.to_string())
}

/// A virtual environment with the official Python clients, rebuilt when
/// the requirements change.
fn ensure_python_clients(requirements: &Path) -> Result<PathBuf, String> {
    let wanted = std::fs::read(requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    let venv = cache_dir().join("python");
    let python = venv.join("bin/python");
    let stamp = venv.join(".vision-chat-requirements");
    if python.is_file() && std::fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) {
        return Ok(python);
    }
    println!("xtask: installing the official Python clients into {}", venv.display());
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(requirements))?;
    std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    Ok(python)
}
