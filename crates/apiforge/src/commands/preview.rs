//! `apiforge preview DIR [--port N]`: the project's app served from a sandbox (no network
//! but loopback, a private copy of DIR), reachable through a proxy on 127.0.0.1:N. Ctrl-C
//! (SIGINT) or SIGTERM stops it and exits 0; the app dying exits 1 with its stderr.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use apiforge_runtime::{Preview, PythonRuntime, check_project};

use crate::cli::PreviewArgs;
use crate::commands::verify::audit_log;
use crate::exit::{BadInput, Failed};
use crate::output::{eprint_line, print_line, write_stderr};
use crate::settings;

/// The port when `--port` is not given.
pub const DEFAULT_PORT: u16 = 8000;

fn parse_port(text: Option<&str>) -> Result<u16, BadInput> {
    let Some(text) = text else {
        return Ok(DEFAULT_PORT);
    };
    text.trim().parse::<u16>().map_err(|_| {
        BadInput(format!(
            "--port {text:?}: give a port number from 0 to 65535 (0 picks a free one)"
        ))
    })
}

pub fn run(args: &PreviewArgs) -> anyhow::Result<ExitCode> {
    let port = parse_port(args.port.as_deref())?;
    let dir = check_project(&args.dir)?;
    let data_dir = settings::data_dir()?;
    let runtime = PythonRuntime::find(&data_dir)?;
    let audit = audit_log()?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C handler")?;
    }

    eprint_line(&format!("starting {} in the sandbox", dir.display()));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let preview = Preview::start(&dir, &runtime, addr, Some(audit))?;
    let url = preview.url().to_owned();
    print_line(&format!(
        "preview of {} ready in {:.2} s (sandbox {})",
        dir.display(),
        preview.startup_time().as_secs_f64(),
        preview.sandbox_id()
    ));
    print_line(&format!("  url:      {url}"));
    print_line(&format!("  docs:     {url}/docs"));
    print_line(&format!("  contract: {url}/openapi.json"));
    eprint_line("press Ctrl-C to stop");

    loop {
        if stop.load(Ordering::SeqCst) {
            let exit = preview.stop()?;
            eprint_line(&format!("stopped (sandbox {})", exit.result.id));
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(exit) = preview.wait_exit(Duration::from_millis(200))? {
            write_stderr(exit.stderr.as_bytes());
            return Err(Failed(format!("the app exited ({})", exit.status)).into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(parse_port(None).ok(), Some(DEFAULT_PORT));
        assert_eq!(parse_port(Some("0")).ok(), Some(0));
        assert_eq!(parse_port(Some(" 8080 ")).ok(), Some(8080));
        for bad in ["", "-1", "65536", "http"] {
            assert!(parse_port(Some(bad)).is_err(), "{bad}");
        }
    }
}
