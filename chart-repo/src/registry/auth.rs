//! How a registry wants to be asked: `WWW-Authenticate` challenges (Basic, or Bearer
//! with `realm`, `service`, `scope`), the challenge remembered per host so the next
//! repository goes straight to the token endpoint, and bearer tokens cached per (host,
//! scope) until shortly before they expire. Holds credentials; never prints them or a
//! token (the `Debug` is hand-written). No network I/O: the client asks, this remembers.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config::RegistryCredentials;

/// What a registry's 401 asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` value: a scheme, then `key=value` or `key="quoted, value"`
/// pairs separated by commas. Unknown schemes give `None`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let params = parse_params(rest);
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let get = |key: &str| params.get(key).cloned().filter(|v| !v.is_empty());
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service"),
        scope: get("scope"),
    })
}

fn parse_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ',' || c.is_whitespace()).is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() || chars.next_if_eq(&'=').is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned();
        }
        out.insert(key, value);
    }
}

/// What a token endpoint answers (Docker's token spec: `token`, or OAuth2's
/// `access_token`; `expires_in` in seconds, 60 when absent).
#[derive(Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl TokenResponse {
    /// The token and how long it may be used.
    pub fn into_token(self) -> Option<(SecretString, Duration)> {
        let token = self.token.or(self.access_token).filter(|t| !t.is_empty())?;
        let lifetime = Duration::from_secs(self.expires_in.unwrap_or(60).max(1));
        Some((SecretString::from(token), lifetime))
    }
}

/// Authorization to attach to one request.
#[derive(Clone)]
pub enum Authorization {
    Basic {
        username: String,
        password: SecretString,
    },
    Bearer(SecretString),
}

impl Authorization {
    pub fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Self::Basic { username, password } => {
                request.basic_auth(username, Some(password.expose_secret()))
            }
            Self::Bearer(token) => request.bearer_auth(token.expose_secret()),
        }
    }

    pub fn basic(credentials: &RegistryCredentials) -> Self {
        Self::Basic {
            username: credentials.username.clone(),
            password: credentials.password.clone(),
        }
    }
}

struct CachedToken {
    token: SecretString,
    usable_until: Instant,
}

/// Credentials, remembered challenges and cached tokens, shared by every analysis.
pub struct AuthState {
    credentials: BTreeMap<String, RegistryCredentials>,
    challenges: Mutex<HashMap<String, Challenge>>,
    tokens: Mutex<HashMap<(String, String), CachedToken>>,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState")
            .field(
                "credentials_for",
                &self.credentials.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Cached tokens beyond which a store first drops the expired ones.
const TOKEN_SWEEP_AT: usize = 1024;

/// How much earlier than its expiry a token stops being used: 10 s, or half of a short
/// lifetime, so a token never expires between being picked and being sent.
fn margin(lifetime: Duration) -> Duration {
    (lifetime / 2).min(Duration::from_secs(10))
}

impl AuthState {
    pub fn new(credentials: BTreeMap<String, RegistryCredentials>) -> Self {
        Self {
            credentials,
            challenges: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub fn credentials(&self, host: &str) -> Option<&RegistryCredentials> {
        self.credentials.get(host)
    }

    /// The challenge `host` answered last time, if any.
    pub fn remembered(&self, host: &str) -> Option<Challenge> {
        lock(&self.challenges).get(host).cloned()
    }

    pub fn remember(&self, host: &str, challenge: Challenge) {
        lock(&self.challenges).insert(host.to_owned(), challenge);
    }

    /// A cached token for (host, scope) that is still usable.
    pub fn token(&self, host: &str, scope: &str) -> Option<SecretString> {
        let mut tokens = lock(&self.tokens);
        let key = (host.to_owned(), scope.to_owned());
        match tokens.get(&key) {
            Some(t) if t.usable_until > Instant::now() => Some(t.token.clone()),
            Some(_) => {
                tokens.remove(&key);
                None
            }
            None => None,
        }
    }

    pub fn store_token(&self, host: &str, scope: &str, token: SecretString, lifetime: Duration) {
        let now = Instant::now();
        let usable_until = now + lifetime.saturating_sub(margin(lifetime));
        let mut tokens = lock(&self.tokens);
        // Expired tokens are dropped when read; a long-running process that reads many
        // scopes once each also sweeps them here, so the map stays bounded by live ones.
        if tokens.len() >= TOKEN_SWEEP_AT {
            tokens.retain(|_, t| t.usable_until > now);
        }
        tokens.insert(
            (host.to_owned(), scope.to_owned()),
            CachedToken {
                token,
                usable_until,
            },
        );
    }

    /// Drops a token the registry refused.
    pub fn forget_token(&self, host: &str, scope: &str) {
        lock(&self.tokens).remove(&(host.to_owned(), scope.to_owned()));
    }
}

/// Locks a map that is only read and written in short sections with no `.await`; a
/// panic inside one cannot leave it half-written, so a poisoned lock is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges_with_quoted_commas() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull,push".into()),
            })
        );
        let bare = parse_challenge("bearer realm=http://127.0.0.1:1/t , service=local");
        assert_eq!(
            bare,
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:1/t".into(),
                service: Some("local".into()),
                scope: None,
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="basic-realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn tokens_expire_before_their_lifetime_ends() {
        let auth = AuthState::new(BTreeMap::new());
        auth.store_token("h", "s", SecretString::from("t"), Duration::from_secs(60));
        assert_eq!(auth.token("h", "s").unwrap().expose_secret(), "t");
        assert!(auth.token("h", "other").is_none());
        auth.store_token("h", "s", SecretString::from("t"), Duration::from_secs(1));
        // Half of a one-second lifetime is the margin: still usable right now.
        assert!(auth.token("h", "s").is_some());
        auth.store_token("h", "s", SecretString::from("t"), Duration::ZERO);
        assert!(auth.token("h", "s").is_none());
        auth.store_token("h", "s", SecretString::from("t"), Duration::from_secs(60));
        auth.forget_token("h", "s");
        assert!(auth.token("h", "s").is_none());
    }

    #[test]
    fn token_responses_default_to_sixty_seconds() {
        let r: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        let (t, life) = r.into_token().unwrap();
        assert_eq!((t.expose_secret(), life), ("a", Duration::from_secs(60)));
        let r: TokenResponse = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert!(r.into_token().is_none());
    }
}
