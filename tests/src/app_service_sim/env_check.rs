//! The install-time env check: the request's `envs` applied over the manifest's, then each
//! required env must have a value (or a resolvable reference) that passes its type,
//! options and regex.
//!
//! From beclab/app-service `pkg/apiserver/handler_installer_install.go` (`setAppEnv`: an
//! override naming an env the manifest lacks is a 400) and `pkg/utils/app/validate.go`
//! (`CheckAppEnvs`) with `api/sys.bytetrade.io/v1alpha1/env_validation.go` (`ValidateValue`).
//! `remoteOptions` are not fetched (tests never reach the internet): such a value passes.

use std::collections::BTreeMap;
use std::net::IpAddr;

use olares_chart::manifest::AppEnv;

use super::wire::{AppEnvCheckResult, AppEnvVar, EnvOverride};

/// Why overrides could not be applied (400 in app-service).
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("refuse to set app env on app: {0} with no declared envs")]
    NoDeclaredEnvs(String),
    #[error("app env '{0}' not found in app config")]
    Unknown(String),
}

/// `setAppEnv`: the manifest's envs with the request's values and references applied.
pub fn apply_overrides(
    app: &str,
    declared: &[AppEnv],
    overrides: &[EnvOverride],
) -> Result<Vec<AppEnvVar>, OverrideError> {
    let mut envs: Vec<AppEnvVar> = declared.iter().map(AppEnvVar::from).collect();
    if overrides.is_empty() {
        return Ok(envs);
    }
    if envs.is_empty() {
        return Err(OverrideError::NoDeclaredEnvs(app.to_owned()));
    }
    for o in overrides {
        let mut found = false;
        for env in envs.iter_mut().filter(|e| e.env_name == o.env_name) {
            found = true;
            env.value = o.value.clone();
            if o.value_from.is_some() {
                env.value_from = o.value_from.clone();
            }
        }
        if !found {
            return Err(OverrideError::Unknown(o.env_name.clone()));
        }
    }
    Ok(envs)
}

/// `CheckAppEnvs`: `None` when every env is satisfied. `known` holds the system and user
/// envs a `valueFrom` may name, with their effective values.
pub fn check(envs: &[AppEnvVar], known: &BTreeMap<String, String>) -> Option<AppEnvCheckResult> {
    let mut result = AppEnvCheckResult::default();
    let push = |list: &mut Option<Vec<AppEnvVar>>, env: &AppEnvVar| {
        list.get_or_insert_with(Vec::new).push(env.clone());
    };
    for env in envs {
        if let Some(from) = env.value_from.as_ref().filter(|f| !f.env_name.is_empty())
            && env.required
        {
            if known.get(&from.env_name).is_none_or(String::is_empty) {
                push(&mut result.missing_refs, env);
            }
            continue;
        }
        let value = env.effective_value();
        if env.required && value.is_empty() {
            push(&mut result.missing_values, env);
        } else if !valid(env, value) {
            push(&mut result.invalid_values, env);
        }
    }
    (!result.is_empty()).then_some(result)
}

/// `ValidateValue`: type, options, regex; an empty value is valid.
fn valid(env: &AppEnvVar, value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    let typed = match env.kind.as_str() {
        "int" => value.parse::<i64>().is_ok(),
        // Go's strconv.ParseBool.
        "bool" => matches!(
            value,
            "1" | "t"
                | "T"
                | "TRUE"
                | "true"
                | "True"
                | "0"
                | "f"
                | "F"
                | "FALSE"
                | "false"
                | "False"
        ),
        "url" => url::Url::parse(value).is_ok(),
        "ip" => value.parse::<IpAddr>().is_ok(),
        "domain" => is_dns1123_subdomain(value),
        "email" => value
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty()),
        _ => true,
    };
    let in_options = env.options.is_empty()
        || !env.remote_options.is_empty()
        || env.options.iter().any(|o| o.value == value);
    let matches =
        env.regex.is_empty() || regex::Regex::new(&env.regex).is_ok_and(|re| re.is_match(value));
    typed && in_options && matches
}

fn is_dns1123_subdomain(v: &str) -> bool {
    v.len() <= 253
        && v.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app_service_sim::wire::EnvRef;

    fn env(name: &str, required: bool) -> AppEnvVar {
        AppEnvVar {
            env_name: name.into(),
            required,
            ..AppEnvVar::default()
        }
    }

    #[test]
    fn sorts_failures_into_the_three_lists() {
        let mut port = env("PORT", false);
        port.kind = "int".into();
        port.default = "eighty".into();
        let mut token = env("TOKEN", true);
        token.regex = "^[a-z]+$".into();
        let mut hf = env("HF", true);
        hf.value_from = Some(EnvRef {
            env_name: "OLARES_USER_HF".into(),
            status: String::new(),
        });
        let envs = vec![port, token.clone(), hf, env("OPTIONAL", false)];
        let got = check(&envs, &BTreeMap::new()).unwrap();
        assert_eq!(got.missing_values.unwrap()[0].env_name, "TOKEN");
        assert_eq!(got.missing_refs.unwrap()[0].env_name, "HF");
        assert_eq!(got.invalid_values.unwrap()[0].env_name, "PORT");

        token.value = "abc".into();
        assert!(check(&[token], &BTreeMap::new()).is_none());
    }

    #[test]
    fn an_override_must_name_a_declared_env() {
        let declared = vec![AppEnv {
            env_name: "A".into(),
            ..AppEnv::default()
        }];
        let o = |n: &str| EnvOverride {
            env_name: n.into(),
            value: "v".into(),
            value_from: None,
        };
        assert_eq!(
            apply_overrides("x", &declared, &[o("A")]).unwrap()[0].value,
            "v"
        );
        assert!(matches!(
            apply_overrides("x", &declared, &[o("B")]),
            Err(OverrideError::Unknown(_))
        ));
        assert!(matches!(
            apply_overrides("x", &[], &[o("A")]),
            Err(OverrideError::NoDeclaredEnvs(_))
        ));
    }
}
