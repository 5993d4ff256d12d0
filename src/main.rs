use clap::Parser;
use licensedesk::config::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    licensedesk::cli::run(cli).await
}
