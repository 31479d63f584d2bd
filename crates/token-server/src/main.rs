//! `token-server`: the binary operators deploy. Serves, or runs an administration command.

use std::process::ExitCode;

use clap::Parser;
use token_server::cli::{self, CommandError};
use token_server::config::{Cli, Command, LogFormat};
use token_server::http::context::WithRequestId;
use tracing_subscriber::fmt::format::{format, JsonFields};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let Cli { command, config } = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "token_server=info,tower_http=warn".into());
    // Standard error: a command's standard output is for what it prints, and a service's
    // supervisor (systemd, a container runtime) keeps both.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => logs.event_format(WithRequestId(format())).init(),
        LogFormat::Json => logs
            .fmt_fields(JsonFields::new())
            .event_format(WithRequestId(format().json()))
            .init(),
    }
    match command {
        None | Some(Command::Serve) => token_server::serve(config).await.map(|()| ExitCode::SUCCESS),
        Some(command) => match cli::run(&config, command).await {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(CommandError::Input(message)) => {
                eprintln!("token-server: {message}");
                Ok(ExitCode::from(2))
            }
            Err(CommandError::Failed(e)) => Err(e),
        },
    }
}
