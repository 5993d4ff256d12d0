//! The commands: serve (default), migrate, seed-demo, billing run, operator create, export-schema.

use std::{process::ExitCode, time::Duration};

use tracing_subscriber::EnvFilter;

use crate::{
    app,
    config::{Cli, Command, LogFormat},
    db,
    state::{self, AppState},
};

/// Logs go to standard output as text, or as one JSON object a line with
/// `LICENSEDESK_LOG_FORMAT=json`; colours only when standard output is a
/// terminal (never in log files or pipes) and `NO_COLOR` is unset. With an
/// OTLP endpoint configured (`telemetry`), spans are exported as traces too;
/// the provider returned is shut down (flushed) at exit.
fn init_tracing(format: LogFormat) -> Option<opentelemetry_sdk::trace::SdkTracerProvider> {
    use std::io::IsTerminal;
    use tracing_subscriber::{Layer, layer::SubscriberExt, util::SubscriberInitExt};
    let filter = EnvFilter::try_from_env("LICENSEDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    let fmt = match format {
        LogFormat::Json => fmt.json().with_ansi(false).flatten_event(true).boxed(),
        LogFormat::Text => {
            let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            fmt.with_ansi(ansi).boxed()
        }
    };
    let (provider, problem) = match crate::telemetry::provider() {
        Ok(provider) => (provider, None),
        Err(problem) => (None, Some(problem)),
    };
    // Each its own filter: LICENSEDESK_LOG=warn quiets the log, not the traces (spans at info and above).
    let otel =
        provider.as_ref().map(|p| crate::telemetry::layer(p).with_filter(tracing::level_filters::LevelFilter::INFO));
    let _ = tracing_subscriber::registry().with(fmt.with_filter(filter)).with(otel).try_init();
    if let Some(problem) = problem {
        tracing::warn!("traces are not exported: {problem}");
    }
    provider
}

pub async fn run(cli: Cli) -> ExitCode {
    let log_format = cli.settings.log_format;
    let traces = init_tracing(log_format);
    let code = run_command(cli, log_format).await;
    if let Some(provider) = traces {
        crate::telemetry::shutdown(provider).await;
    }
    code
}

async fn run_command(cli: Cli, log_format: LogFormat) -> ExitCode {
    let command = cli.command.clone().unwrap_or(Command::Serve { demo: false });
    if let Command::ExportSchema { output } = &command {
        let sdl = app::export_sdl();
        return match output {
            Some(path) => match std::fs::write(path, sdl) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cannot write {}: {e}", path.display());
                    ExitCode::FAILURE
                }
            },
            None => {
                print!("{sdl}");
                ExitCode::SUCCESS
            }
        };
    }
    let config = match cli.settings.validate() {
        Ok(config) => config,
        Err(message) if log_format == LogFormat::Json => {
            tracing::error!("configuration error: {message}");
            return ExitCode::from(2);
        }
        Err(message) => {
            eprintln!("configuration error: {message}");
            return ExitCode::from(2);
        }
    };
    // With JSON logs the log line is the only line (issue 24 item 4); as text
    // the error is also repeated on standard error for a person at a terminal.
    let json = config.log_format == LogFormat::Json;
    match execute(command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Error(message)) => {
            tracing::error!("{message}");
            if !json {
                eprintln!("error: {message}");
            }
            ExitCode::FAILURE
        }
        Err(Failure::Busy(message)) => {
            tracing::warn!("{message}");
            if !json {
                eprintln!("error: {message}");
            }
            ExitCode::from(EXIT_BUSY)
        }
    }
}

/// Exit code when a billing run did nothing because a live run holds the
/// lease: a cron job or Kubernetes retry sees a failure, not success.
pub const EXIT_BUSY: u8 = 3;

enum Failure {
    Error(String),
    Busy(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Error(message)
    }
}

async fn execute(command: Command, config: crate::config::Config) -> Result<(), Failure> {
    let database = db::connect_sized(&config.database_url, &config.db_timeouts, &config.db_pool)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    db::migrate(&database).await.map_err(|e| format!("migrations failed: {e}"))?;
    if matches!(command, Command::Migrate) {
        println!("migrations applied");
        return Ok(());
    }
    let secret = state::resolve_secret(&database, &config).await.map_err(|e| format!("{e:?}"))?;
    let state = AppState::with_system_clock(database, config, &secret).map_err(|e| format!("{e:?}"))?;
    match command {
        Command::Serve { demo } => {
            if demo {
                crate::demo::seed(&state).await.map_err(|e| format!("demo data: {e:?}"))?;
            }
            if state.config.billing_scheduler {
                crate::workers::scheduler::spawn_scheduler(state.clone());
            }
            Ok(app::serve(state).await.map_err(|e| format!("server: {e}"))?)
        }
        Command::SeedDemo => Ok(crate::demo::seed(&state).await.map_err(|e| format!("demo data: {e:?}"))?),
        Command::Billing { command: crate::config::BillingCommand::Run { date } } => {
            let date = date.unwrap_or_else(|| state.clock.today());
            // Wait out a lease left by a killed run (it expires within
            // LEASE_SECONDS); one still held after that belongs to a live run.
            let wait = Duration::from_secs(crate::service::billing_run::LEASE_SECONDS as u64 + 3);
            let report = crate::service::billing_run::run_billing_waiting(&state, date, wait)
                .await
                .map_err(|e| format!("billing run: {e:?}"))?;
            println!("{report}");
            if report.lease_held_elsewhere {
                return Err(Failure::Busy(format!(
                    "billing run for {date} not started: another live billing run holds the lease; try again later"
                )));
            }
            Ok(())
        }
        Command::Operator {
            command: crate::config::OperatorCommand::Create { email, name, password, password_stdin },
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            } else {
                match password {
                    Some(secret) => secret.expose().to_owned(),
                    None => {
                        return Err(Failure::Error(
                            "give the password with --password-stdin or LICENSEDESK_OPERATOR_PASSWORD".into(),
                        ));
                    }
                }
            };
            let (email, id) = create_operator(&state, name, email, password).await?;
            println!("operator {email} created ({id})");
            Ok(())
        }
        Command::Migrate | Command::ExportSchema { .. } => Ok(()),
    }
}

/// `operator create` (R40): the only way a marketplace operator account comes
/// to be. Returns the stored e-mail and the user's ID.
pub async fn create_operator(
    state: &AppState,
    name: String,
    email: String,
    password: String,
) -> Result<(String, uuid::Uuid), String> {
    let input = crate::service::identity::NewOperator { name, email, password };
    let user = crate::service::identity::create_operator(state, input)
        .await
        .map_err(|e| format!("operator not created: {e}"))?;
    Ok((user.email, user.id))
}
