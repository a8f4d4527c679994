//! Delivering magic links: SMTP through lettre when configured, otherwise a log line for the
//! operator (the zero-set-up default: the person running `apiforge serve` signs in from it).

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::SmtpConfig;

/// Where login mails go.
#[derive(Debug, Clone)]
pub enum Mailer {
    Log,
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Box<Mailbox>,
    },
}

/// Why a mail could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP settings are invalid: {0}")]
    Config(String),
    #[error("the address {0:?} is not a valid e-mail address")]
    Address(String),
    #[error("sending the login mail failed: {0}")]
    Send(String),
}

impl Mailer {
    pub fn new(smtp: Option<&SmtpConfig>) -> Result<Self, MailError> {
        let Some(smtp) = smtp else {
            return Ok(Mailer::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url)
            .map_err(|e| MailError::Config(format!("{}: {e}", smtp.url)))?
            .build();
        let from = smtp
            .from
            .parse()
            .map_err(|_| MailError::Config(format!("from address {:?}", smtp.from)))?;
        Ok(Mailer::Smtp {
            transport: Box::new(transport),
            from: Box::new(from),
        })
    }

    /// Sends the link and the code to `email`.
    pub async fn send_login(&self, email: &str, link: &str, code: &str) -> Result<(), MailError> {
        match self {
            Mailer::Log => {
                tracing::warn!(
                    target: "apiforge::login",
                    email,
                    link,
                    code,
                    "no SMTP configured: login link for the operator to pass on"
                );
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = email
                    .parse()
                    .map_err(|_| MailError::Address(email.to_owned()))?;
                let message = Message::builder()
                    .from((**from).clone())
                    .to(to)
                    .subject("Your SmartAPIForge sign-in link")
                    .body(format!(
                        "Sign in: {link}\n\nOr enter this code: {code}\n\nThe link and the code work once and expire soon. If you did not ask to sign in, ignore this mail.\n"
                    ))
                    .map_err(|e| MailError::Send(e.to_string()))?;
                transport
                    .send(message)
                    .await
                    .map_err(|e| MailError::Send(e.to_string()))?;
                Ok(())
            }
        }
    }
}
