//! `apiforge worker`: a worker only, on the database the servers use.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use crate::cli::WorkerArgs;
use crate::output::eprint_line;

use super::serve::{config, init_logs, runtime, server_error, stop_on_signal};

pub fn run(args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    // A worker listens nowhere; the address is only the config's.
    let config = config(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), &args.storage)?;
    super::runtimes::ensure_in(&config.data_dir, false)?;
    init_logs();
    runtime()?.block_on(async move {
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        eprint_line("worker started; Ctrl-C stops (in-flight steps finish or are released)");
        apiforge_server::run_worker(config, shutdown)
            .await
            .map_err(server_error)
    })?;
    Ok(ExitCode::SUCCESS)
}
