//! The Sprig v3 functions beyond `sprig.rs`: semantic versions, and (as they
//! are added) dates, random strings, crypto and certificates, paths, URLs and
//! the remaining string and list helpers. Each checked against real Helm.

use crate::sprig::{arg_int, arg_str, runtime, s};
use std::rc::Rc;

use crate::error::FuncError;
use crate::semver::{Constraints, Version};
use crate::template::FuncMap;
use crate::value::{ArgType, Object, ObjectKind, Signature, Value};

/// Adds these functions to `f`.
pub fn register(f: &mut FuncMap) {
    use ArgType::String as S;
    f.insert_simple("semverCompare", Signature::new(&[S, S]), |a| {
        let constraint = Constraints::parse(a[0].as_str().unwrap_or_default())
            .map_err(|e| FuncError::new(e.to_string()))?;
        let version = Version::parse(a[1].as_str().unwrap_or_default())
            .map_err(|e| FuncError::new(e.to_string()))?;
        Ok(Value::Bool(constraint.check(&version)))
    });
    f.insert_simple("semver", Signature::new(&[S]), |a| {
        let version = Version::parse(a[0].as_str().unwrap_or_default())
            .map_err(|e| FuncError::new(e.to_string()))?;
        Ok(Value::Object(Rc::new(SemverObject {
            text: a[0].as_str().unwrap_or_default().to_owned(),
            version,
        })))
    });
    // xstrings v1.5.0 (as Sprig 3.3 pins it): `ToSnakeCase`, `ToKebabCase`.
    f.insert_simple("snakecase", Signature::new(&[S]), |a| {
        Ok(s(camel_to_lower(arg_str(&a[0]), '_')))
    });
    f.insert_simple("kebabcase", Signature::new(&[S]), |a| {
        Ok(s(camel_to_lower(arg_str(&a[0]), '-')))
    });
    f.insert_simple("urlParse", Signature::new(&[S]), |a| {
        let u = GoUrl::parse(arg_str(&a[0]))
            .map_err(|e| FuncError::new(format!("unable to parse url: {e}")))?;
        let m = crate::value::Map::new();
        let text = |b: &[u8]| s(lossy_per_byte(b));
        m.insert("scheme", text(&u.scheme));
        m.insert("host", text(&u.host));
        m.insert("hostname", text(url_hostname(&u.host)));
        m.insert("path", text(&u.path));
        m.insert("query", text(&u.raw_query));
        m.insert("opaque", text(&u.opaque));
        m.insert("fragment", text(&u.fragment));
        m.insert(
            "userinfo",
            text(
                u.user
                    .as_ref()
                    .map(UrlUser::encoded)
                    .unwrap_or_default()
                    .as_bytes(),
            ),
        );
        Ok(Value::Map(m))
    });
    f.insert_simple("urlJoin", Signature::new(&[ArgType::Map]), |a| {
        let Value::Map(d) = &a[0] else {
            return Ok(s(""));
        };
        url_join(d)
    });
    register_random(f);
    register_crypto(f);
    register_certs(f);
    register_dates(f);
    register_misc(f);
}

/// `*semver.Version` as `semver` returns it.
struct SemverObject {
    text: String,
    version: Version,
}

impl Object for SemverObject {
    fn type_name(&self) -> String {
        "*semver.Version".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Pointer
    }
    fn method(&self, name: &str) -> Option<Signature> {
        matches!(
            name,
            "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String"
        )
        .then(|| Signature::new(&[]))
    }
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        let v = &self.version;
        Ok(match name {
            "Major" => Value::Int64(v.major as i64),
            "Minor" => Value::Int64(v.minor as i64),
            "Patch" => Value::Int64(v.patch as i64),
            "Prerelease" => Value::string(v.pre.as_str()),
            "Metadata" => Value::string(v.build.as_str()),
            "Original" => Value::string(self.text.as_str()),
            _ => Value::string(self.stringer().unwrap_or_default()),
        })
    }
    fn stringer(&self) -> Option<String> {
        let v = &self.version;
        let mut s = format!("{}.{}.{}", v.major, v.minor, v.patch);
        if !v.pre.is_empty() {
            s.push('-');
            s.push_str(&v.pre);
        }
        if !v.build.is_empty() {
            s.push('+');
            s.push_str(&v.build);
        }
        Some(s)
    }
}

// ----- shared helpers -----

// ----- random strings -----

/// Register the random functions (`randAlphaNum`, `uuidv4`, …).
fn register_random(f: &mut FuncMap) {
    use ArgType::{Int as I, String as S};
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const NUM: &[u8] = b"0123456789";
    for (name, set) in [
        ("randAlphaNum", ALNUM),
        ("randAlpha", ALPHA),
        ("randNumeric", NUM),
    ] {
        f.insert(name, Signature::new(&[I]), move |cx, a| {
            let n = arg_int(&a[0]).max(0) as usize;
            cx.check_size(n)?;
            Ok(s(random_string(n, set)))
        });
    }
    f.insert("randAscii", Signature::new(&[I]), |cx, a| {
        let n = arg_int(&a[0]).max(0) as usize;
        cx.check_size(n)?;
        let set: Vec<u8> = (32u8..127).collect();
        Ok(s(random_string(n, &set)))
    });
    f.insert("randBytes", Signature::new(&[I]), |cx, a| {
        let n = arg_int(&a[0]);
        if n < 0 {
            return Err(runtime("makeslice: len out of range"));
        }
        cx.check_size((n as usize).saturating_mul(2))?;
        let mut buf = vec![0u8; n as usize];
        fill_random(&mut buf);
        Ok(s(crate::sprig::base64_encode(&buf)))
    });
    f.insert_simple("randInt", Signature::new(&[I, I]), |a| {
        let (min, max) = (arg_int(&a[0]), arg_int(&a[1]));
        let span = max.wrapping_sub(min);
        if span <= 0 {
            return Err(FuncError::new("invalid argument to Intn"));
        }
        use rand::Rng;
        Ok(Value::Int(rand::thread_rng().gen_range(0..span) + min))
    });
    f.insert_simple("shuffle", Signature::new(&[S]), |a| {
        use rand::seq::SliceRandom;
        let mut chars: Vec<char> = arg_str(&a[0]).chars().collect();
        chars.shuffle(&mut rand::thread_rng());
        Ok(s(chars.into_iter().collect::<String>()))
    });
    f.insert_simple("uuidv4", Signature::new(&[]), |_| Ok(s(uuid_v4())));
}

/// Fill `buf` from the operating system's random source (Go's `crypto/rand`).
fn fill_random(buf: &mut [u8]) {
    use rand::RngCore;
    rand::rngs::OsRng.fill_bytes(buf);
}

/// `n` characters drawn uniformly from `set` with a cryptographic RNG
/// (goutils' `CryptoRandom*`).
fn random_string(n: usize, set: &[u8]) -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..n)
        .map(|_| char::from(set[rng.gen_range(0..set.len())]))
        .collect()
}

/// A random (version 4, variant 10) UUID in lower-case hyphenated form.
fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Lower-case hex of `b`.
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ----- hashes, encodings, passwords, AES -----

/// Register hashes, base32, bcrypt, `derivePassword` and AES.
fn register_crypto(f: &mut FuncMap) {
    use ArgType::{Int as I, String as S};
    f.insert_simple("sha1sum", Signature::new(&[S]), |a| {
        use sha1::Digest;
        Ok(s(hex(&sha1::Sha1::digest(arg_str(&a[0]).as_bytes()))))
    });
    f.insert_simple("sha512sum", Signature::new(&[S]), |a| {
        use sha2::Digest;
        Ok(s(hex(&sha2::Sha512::digest(arg_str(&a[0]).as_bytes()))))
    });
    f.insert_simple("adler32sum", Signature::new(&[S]), |a| {
        Ok(s(adler32(arg_str(&a[0]).as_bytes()).to_string()))
    });
    f.insert_simple("b32enc", Signature::new(&[S]), |a| {
        Ok(s(base32_encode(arg_str(&a[0]).as_bytes())))
    });
    f.insert_simple("b32dec", Signature::new(&[S]), |a| {
        Ok(s(match base32_decode(arg_str(&a[0])) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => e,
        }))
    });
    f.insert_simple("bcrypt", Signature::new(&[S]), |a| {
        Ok(s(bcrypt_hash(arg_str(&a[0]))))
    });
    f.insert_simple("htpasswd", Signature::new(&[S, S]), |a| {
        let user = arg_str(&a[0]);
        if user.contains(':') {
            return Ok(s(format!("invalid username: {user}")));
        }
        Ok(s(format!("{user}:{}", bcrypt_hash(arg_str(&a[1])))))
    });
    f.insert_simple("derivePassword", Signature::new(&[I, S, S, S, S]), |a| {
        Ok(s(derive_password(
            arg_int(&a[0]) as u32,
            arg_str(&a[1]),
            arg_str(&a[2]),
            arg_str(&a[3]),
            arg_str(&a[4]),
        )))
    });
    f.insert_simple("encryptAES", Signature::new(&[S, S]), |a| {
        Ok(s(encrypt_aes(arg_str(&a[0]), arg_str(&a[1]))))
    });
    f.insert_simple("decryptAES", Signature::new(&[S, S]), |a| {
        decrypt_aes(arg_str(&a[0]), arg_str(&a[1])).map(s)
    });
}

/// Adler-32 checksum (Go's `hash/adler32`).
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Go's `base32.StdEncoding.EncodeToString` (padded).
fn base32_encode(b: &[u8]) -> String {
    let mut out = String::new();
    for chunk in b.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(char::from(B32[((n >> (35 - 5 * i)) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString`, with its error text
/// (`illegal base32 data at input byte N`).
fn base32_decode(src: &str) -> Result<Vec<u8>, String> {
    let illegal = |i: usize| format!("illegal base32 data at input byte {i}");
    // Go strips \r and \n first and reports offsets in the stripped input.
    let b: Vec<u8> = src.bytes().filter(|&c| c != b'\n' && c != b'\r').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b.len() - i < 8 {
            return Err(illegal(b.len() - (b.len() - i).min(b.len())));
        }
        let quantum = &b[i..i + 8];
        let mut vals = [0u8; 8];
        let mut dlen = 8;
        for (j, &c) in quantum.iter().enumerate() {
            if c == b'=' {
                // Padding: only at the end of input, in valid positions.
                if i + 8 != b.len() || j < 2 || !quantum[j..].iter().all(|&x| x == b'=') {
                    return Err(illegal(i + j));
                }
                if !matches!(j, 2 | 4 | 5 | 7) {
                    return Err(illegal(i + j));
                }
                dlen = j;
                break;
            }
            match B32.iter().position(|&x| x == c) {
                Some(p) => vals[j] = p as u8,
                None => return Err(illegal(i + j)),
            }
        }
        let n = vals.iter().fold(0u64, |acc, &x| (acc << 5) | u64::from(x));
        let bytes = [
            (n >> 32) as u8,
            (n >> 24) as u8,
            (n >> 16) as u8,
            (n >> 8) as u8,
            n as u8,
        ];
        let keep = match dlen {
            2 => 1,
            4 => 2,
            5 => 3,
            7 => 4,
            _ => 5,
        };
        out.extend_from_slice(&bytes[..keep]);
        i += 8;
    }
    Ok(out)
}

/// Go's `bcrypt.GenerateFromPassword(pw, 10)` as Sprig formats it
/// (`$2a$10$…`, or Sprig's failure text).
fn bcrypt_hash(pw: &str) -> String {
    if pw.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    match bcrypt::hash_with_result(pw, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

/// The Master Password algorithm of Sprig's `derivePassword`.
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    const SEED: &[u8] = b"com.lyndir.masterpassword";
    let templates: &[&str] = match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return format!("cannot find password template {kind}"),
    };
    let mut salt = SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let Ok(params) = scrypt::Params::new(15, 8, 2, 64) else {
        return "failed to derive password: invalid parameters".into();
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut msg = SEED.to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let seed = hmac_sha256(&key, &msg);
    let template = templates[usize::from(seed[0]) % templates.len()];
    template
        .bytes()
        .enumerate()
        .map(|(i, c)| {
            let chars: &[u8] = match c {
                b'V' => b"AEIOU",
                b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
                b'v' => b"aeiou",
                b'c' => b"bcdfghjklmnpqrstvwxyz",
                b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
                b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
                b'n' => b"0123456789",
                b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
                _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
            };
            char::from(chars[usize::from(seed[i + 1]) % chars.len()])
        })
        .collect()
}

/// HMAC-SHA256 of `msg` under `key`.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|x| x ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|x| x ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Sprig's `encryptAES`: AES-256-CBC (key = password zero-padded or cut to
/// 32 bytes), PKCS#7 padding, random IV prepended, base64.
fn encrypt_aes(password: &str, plaintext: &str) -> String {
    use aes::cipher::{BlockEncrypt, KeyInit};
    if plaintext.is_empty() {
        return String::new();
    }
    let cipher = aes::Aes256::new(&aes_key(password).into());
    let mut content = plaintext.as_bytes().to_vec();
    let pad = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(pad as u8, pad));
    let mut out = vec![0u8; 16];
    fill_random(&mut out);
    let mut prev = [0u8; 16];
    prev.copy_from_slice(&out);
    for chunk in content.chunks(16) {
        let mut block = [0u8; 16];
        for (i, b) in block.iter_mut().enumerate() {
            *b = chunk[i] ^ prev[i];
        }
        let mut ga = block.into();
        cipher.encrypt_block(&mut ga);
        prev.copy_from_slice(&ga);
        out.extend_from_slice(&ga);
    }
    crate::sprig::base64_encode(&out)
}

/// Sprig's `decryptAES`, with Go's panics and errors as texts.
fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, FuncError> {
    use aes::cipher::{BlockDecrypt, KeyInit};
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = crate::sprig::base64_decode(crypt64).map_err(FuncError::new)?;
    let cipher = aes::Aes256::new(&aes_key(password).into());
    if crypt.len() < 16 {
        return Err(runtime(&format!(
            "slice bounds out of range [:16] with capacity {}",
            crypt.len()
        )));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err(FuncError::new("crypto/cipher: input not full blocks"));
    }
    let mut out = Vec::with_capacity(body.len());
    let mut prev = iv.to_vec();
    for chunk in body.chunks(16) {
        let mut ga = aes::Block::clone_from_slice(chunk);
        cipher.decrypt_block(&mut ga);
        out.extend(ga.iter().zip(&prev).map(|(a, b)| a ^ b));
        prev = chunk.to_vec();
    }
    let Some(&last) = out.last() else {
        return Err(runtime("index out of range [-1]"));
    };
    let keep = out.len() as i64 - i64::from(last);
    if keep < 0 {
        return Err(runtime(&format!("slice bounds out of range [:{keep}]")));
    }
    out.truncate(keep as usize);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The AES-256 key Sprig derives from a password.
fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let b = password.as_bytes();
    let n = b.len().min(32);
    key[..n].copy_from_slice(&b[..n]);
    key
}

// ----- keys and certificates -----

/// Register `genPrivateKey`, `genCA*`, `genSelfSignedCert*`,
/// `genSignedCert*` and `buildCustomCert`.
fn register_certs(f: &mut FuncMap) {
    use ArgType::{Any, Int as I, List as L, String as S};
    f.insert_simple("genPrivateKey", Signature::new(&[S]), |a| {
        let key = match arg_str(&a[0]) {
            "" | "rsa" => PrivKey::generate_rsa(4096),
            "ecdsa" => Ok(PrivKey::generate_ecdsa()),
            "ed25519" => Ok(PrivKey::generate_ed25519()),
            "dsa" => {
                return Ok(s(
                    "failed to generate dsa params: DSA keys are not supported",
                ));
            }
            other => return Ok(s(format!("Unknown type {other}"))),
        };
        Ok(s(match key {
            Ok(k) => k.to_pem(),
            Err(e) => format!("failed to generate private key: {e}"),
        }))
    });
    f.insert_simple("buildCustomCert", Signature::new(&[S, S]), |a| {
        build_custom_cert(arg_str(&a[0]), arg_str(&a[1]))
    });
    f.insert_simple("genCA", Signature::new(&[S, I]), |a| {
        let key = PrivKey::generate_rsa(2048)?;
        gen_ca(arg_str(&a[0]), arg_int(&a[1]), key)
    });
    f.insert_simple("genCAWithKey", Signature::new(&[S, I, S]), |a| {
        let key = parse_key_for_gen(arg_str(&a[2]))?;
        gen_ca(arg_str(&a[0]), arg_int(&a[1]), key)
    });
    f.insert_simple("genSelfSignedCert", Signature::new(&[S, L, L, I]), |a| {
        let key = PrivKey::generate_rsa(2048)?;
        gen_self_signed(&a[..4], key)
    });
    f.insert_simple(
        "genSelfSignedCertWithKey",
        Signature::new(&[S, L, L, I, S]),
        |a| {
            let key = parse_key_for_gen(arg_str(&a[4]))?;
            gen_self_signed(&a[..4], key)
        },
    );
    f.insert_simple("genSignedCert", Signature::new(&[S, L, L, I, Any]), |a| {
        let ca = cert_arg(&a[4])?;
        let key = PrivKey::generate_rsa(2048)?;
        gen_signed(&a[..4], &ca, key)
    });
    f.insert_simple(
        "genSignedCertWithKey",
        Signature::new(&[S, L, L, I, Any, S]),
        |a| {
            let ca = cert_arg(&a[4])?;
            let key = parse_key_for_gen(arg_str(&a[5]))?;
            gen_signed(&a[..4], &ca, key)
        },
    );
}

/// Sprig's `certificate` struct: PEM certificate and PEM private key.
#[derive(Clone)]
struct Certificate {
    cert: String,
    key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> String {
        "sprig.certificate".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Struct
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Cert".into(), s(self.cert.as_str())),
            ("Key".into(), s(self.key.as_str())),
        ]
    }
}

/// The `certificate` argument of `genSignedCert*` (any struct with string
/// fields `Cert` and `Key`, as Go would only accept a `sprig.certificate`).
fn cert_arg(v: &Value) -> Result<Certificate, FuncError> {
    if let Value::Object(o) = v
        && o.type_name() == "sprig.certificate"
    {
        let field = |n: &str| {
            o.field(n)
                .and_then(|x| x.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        return Ok(Certificate {
            cert: field("Cert"),
            key: field("Key"),
        });
    }
    if v.is_nil() {
        return Err(FuncError::new("invalid value; expected sprig.certificate"));
    }
    Err(FuncError::new(format!(
        "wrong type for value; expected sprig.certificate; got {}",
        v.type_name()
    )))
}

/// The result value of a certificate function.
fn cert_value(c: Certificate) -> Value {
    Value::Object(Rc::new(c))
}

/// A private key of one of the types Sprig generates and parses.
enum PrivKey {
    /// RSA (PKCS#1 `RSA PRIVATE KEY`).
    Rsa(Box<rsa::RsaPrivateKey>),
    /// ECDSA P-256 (SEC 1 `EC PRIVATE KEY`).
    Ecdsa(Box<p256::ecdsa::SigningKey>),
    /// Ed25519 (PKCS#8 `PRIVATE KEY`).
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl PrivKey {
    /// A new RSA key of `bits` bits (e = 65537).
    fn generate_rsa(bits: usize) -> Result<PrivKey, FuncError> {
        crate::rsa_keys::generate(bits)
            .map(|k| PrivKey::Rsa(Box::new(k)))
            .map_err(|e| FuncError::new(format!("error generating rsa key: {e}")))
    }

    /// A new P-256 key.
    fn generate_ecdsa() -> PrivKey {
        PrivKey::Ecdsa(Box::new(p256::ecdsa::SigningKey::random(
            &mut rand::rngs::OsRng,
        )))
    }

    /// A new Ed25519 key.
    fn generate_ed25519() -> PrivKey {
        let mut seed = [0u8; 32];
        fill_random(&mut seed);
        PrivKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// The key as Sprig's `pemBlockForKey` encodes it.
    fn to_pem(&self) -> String {
        match self {
            PrivKey::Rsa(k) => {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                let der = k
                    .to_pkcs1_der()
                    .map(|d| d.as_bytes().to_vec())
                    .unwrap_or_default();
                pem_encode("RSA PRIVATE KEY", &der)
            }
            PrivKey::Ecdsa(k) => {
                let d = k.to_bytes();
                let point = k.verifying_key().to_encoded_point(false);
                let der = der_seq(&[
                    der_tlv(0x02, &[1]),
                    der_tlv(0x04, &d),
                    der_tlv(0xa0, &der_oid(OID_P256)),
                    der_tlv(0xa1, &der_bitstring(point.as_bytes())),
                ]);
                pem_encode("EC PRIVATE KEY", &der)
            }
            PrivKey::Ed25519(k) => {
                let der = der_seq(&[
                    der_tlv(0x02, &[0]),
                    der_seq(&[der_oid(OID_ED25519)]),
                    der_tlv(0x04, &der_tlv(0x04, &k.to_bytes())),
                ]);
                pem_encode("PRIVATE KEY", &der)
            }
        }
    }

    /// The DER `SubjectPublicKeyInfo` and the contents of its BIT STRING.
    fn public_key_info(&self) -> (Vec<u8>, Vec<u8>) {
        let (alg, key) = match self {
            PrivKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                let pk = der_seq(&[
                    der_uint(&k.n().to_bytes_be()),
                    der_uint(&k.e().to_bytes_be()),
                ]);
                (der_seq(&[der_oid(OID_RSA), vec![0x05, 0x00]]), pk)
            }
            PrivKey::Ecdsa(k) => (
                der_seq(&[der_oid(OID_EC_PUBLIC_KEY), der_oid(OID_P256)]),
                k.verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec(),
            ),
            PrivKey::Ed25519(k) => (
                der_seq(&[der_oid(OID_ED25519)]),
                k.verifying_key().to_bytes().to_vec(),
            ),
        };
        (der_seq(&[alg, der_bitstring(&key)]), key)
    }

    /// The signature `AlgorithmIdentifier` Go picks for this key type.
    fn signature_algorithm(&self) -> Vec<u8> {
        match self {
            PrivKey::Rsa(_) => der_seq(&[der_oid(OID_SHA256_RSA), vec![0x05, 0x00]]),
            PrivKey::Ecdsa(_) => der_seq(&[der_oid(OID_ECDSA_SHA256)]),
            PrivKey::Ed25519(_) => der_seq(&[der_oid(OID_ED25519)]),
        }
    }

    /// Sign `msg` (SHA-256 with PKCS#1 v1.5, ECDSA with SHA-256, or pure
    /// Ed25519), returning the signature as it goes in a certificate.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, FuncError> {
        use sha2::{Digest, Sha256};
        match self {
            PrivKey::Rsa(k) => k
                .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg))
                .map_err(|e| FuncError::new(format!("error creating certificate: {e}"))),
            PrivKey::Ecdsa(k) => {
                use p256::ecdsa::signature::Signer;
                let sig: p256::ecdsa::Signature = k.sign(msg);
                let (r, s) = sig.split_bytes();
                Ok(der_seq(&[der_uint(&r), der_uint(&s)]))
            }
            PrivKey::Ed25519(k) => {
                use ed25519_dalek::Signer;
                Ok(k.sign(msg).to_bytes().to_vec())
            }
        }
    }
}

const OID_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const OID_EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_P256: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];
const OID_CN: &[u64] = &[2, 5, 4, 3];
const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_SKI: &[u64] = &[2, 5, 29, 14];
const OID_AKI: &[u64] = &[2, 5, 29, 35];
const OID_SAN: &[u64] = &[2, 5, 29, 17];
const OID_SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
const OID_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];

/// A DER TLV with a one-byte tag.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER SEQUENCE of already-encoded elements.
fn der_seq(items: &[Vec<u8>]) -> Vec<u8> {
    der_tlv(0x30, &items.concat())
}

/// A DER INTEGER from unsigned big-endian bytes.
fn der_uint(be: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = be.iter().copied().skip_while(|&b| b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(&trimmed);
    der_tlv(0x02, &content)
}

/// A DER OBJECT IDENTIFIER.
fn der_oid(arcs: &[u64]) -> Vec<u8> {
    let mut content = Vec::new();
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        content.extend_from_slice(&tmp);
    };
    push(arcs[0] * 40 + arcs.get(1).copied().unwrap_or(0));
    for &a in arcs.iter().skip(2) {
        push(a);
    }
    der_tlv(0x06, &content)
}

/// A DER BIT STRING with no unused bits.
fn der_bitstring(b: &[u8]) -> Vec<u8> {
    let mut content = vec![0u8];
    content.extend_from_slice(b);
    der_tlv(0x03, &content)
}

/// One element read from DER: its tag, contents and whole encoding.
struct Der<'a> {
    tag: u8,
    body: &'a [u8],
    raw: &'a [u8],
}

/// Read the DER element at the start of `b`, returning it and the rest.
fn der_read(b: &[u8]) -> Option<(Der<'_>, &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    if end > b.len() {
        return None;
    }
    Some((
        Der {
            tag,
            body: &b[hdr..end],
            raw: &b[..end],
        },
        &b[end..],
    ))
}

/// All the elements of a constructed DER body.
fn der_items(mut b: &[u8]) -> Option<Vec<Der<'_>>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let (d, rest) = der_read(b)?;
        out.push(d);
        b = rest;
    }
    Some(out)
}

/// Go's `pem.EncodeToMemory`: base64 in 64-column lines.
fn pem_encode(kind: &str, der: &[u8]) -> String {
    let b64 = crate::sprig::base64_encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// Go's `pem.Decode` for the first block: its type and bytes.
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let mut rest = text;
    loop {
        let start = rest.find("-----BEGIN ")?;
        let after = &rest[start + 11..];
        let type_end = after.find("-----")?;
        let kind = &after[..type_end];
        let body_start = &after[type_end + 5..];
        let end_marker = format!("-----END {kind}-----");
        if let (Some(end), false) = (body_start.find(&end_marker), kind.contains('\n')) {
            let body: String = body_start[..end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if let Ok(der) = crate::sprig::base64_decode(&body) {
                return Some((kind.to_owned(), der));
            }
        }
        rest = &rest[start + 11..];
    }
}

/// Sprig's `parsePrivateKeyPEM`.
fn parse_private_key_pem(text: &str) -> Result<PrivKey, String> {
    let Some((kind, der)) = pem_decode(text) else {
        return Err("no PEM data in input".into());
    };
    if kind == "PRIVATE KEY" {
        return parse_pkcs8(&der).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {kind}"));
    };
    match prefix {
        "RSA" => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| PrivKey::Rsa(Box::new(k)))
                .map_err(|_| {
                    "parsing RSA private key from PEM: x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)".to_owned()
                })
        }
        "EC" => parse_sec1(&der, None)
            .map_err(|e| format!("parsing EC private key from PEM: x509: {e}")),
        "DSA" => Err("parsing DSA private key from PEM: DSA keys are not supported".into()),
        _ => Err(format!("invalid private key type {kind}")),
    }
}

/// An SEC 1 `ECPrivateKey` (P-256 only), with the curve from the PKCS#8
/// wrapper when the structure has none.
fn parse_sec1(der: &[u8], curve: Option<&[u8]>) -> Result<PrivKey, String> {
    let malformed = || "failed to parse EC private key".to_string();
    let (seq, _) = der_read(der).ok_or_else(malformed)?;
    let items = der_items(seq.body).ok_or_else(malformed)?;
    let d = items
        .get(1)
        .filter(|x| x.tag == 0x04)
        .ok_or_else(malformed)?;
    let oid = items
        .iter()
        .find(|x| x.tag == 0xa0)
        .map(|x| x.body.to_vec())
        .or_else(|| curve.map(<[u8]>::to_vec));
    if oid.as_deref() != Some(der_oid(OID_P256).as_slice()) {
        return Err("unknown elliptic curve".into());
    }
    p256::ecdsa::SigningKey::from_slice(d.body)
        .map(|k| PrivKey::Ecdsa(Box::new(k)))
        .map_err(|_| "invalid elliptic curve private key value".into())
}

/// A PKCS#8 `PrivateKeyInfo` holding an RSA, P-256 or Ed25519 key.
fn parse_pkcs8(der: &[u8]) -> Result<PrivKey, String> {
    let malformed = || "x509: malformed PKCS#8 private key".to_string();
    let (seq, _) = der_read(der).ok_or_else(malformed)?;
    let items = der_items(seq.body).ok_or_else(malformed)?;
    let (Some(alg), Some(key)) = (items.get(1), items.get(2)) else {
        return Err(malformed());
    };
    let alg_items = der_items(alg.body).ok_or_else(malformed)?;
    let Some(oid) = alg_items.first() else {
        return Err(malformed());
    };
    if oid.raw == der_oid(OID_RSA) {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        return rsa::RsaPrivateKey::from_pkcs1_der(key.body)
            .map(|k| PrivKey::Rsa(Box::new(k)))
            .map_err(|e| format!("x509: failed to parse RSA private key embedded in PKCS#8: {e}"));
    }
    if oid.raw == der_oid(OID_EC_PUBLIC_KEY) {
        let curve = alg_items.get(1).map(|c| c.raw);
        return parse_sec1(key.body, curve)
            .map_err(|e| format!("x509: failed to parse EC private key embedded in PKCS#8: {e}"));
    }
    if oid.raw == der_oid(OID_ED25519) {
        let inner = der_read(key.body)
            .map(|(d, _)| d.body)
            .filter(|b| b.len() == 32)
            .ok_or_else(|| "x509: invalid Ed25519 private key".to_string())?;
        let mut seed = [0u8; 32];
        seed.copy_from_slice(inner);
        return Ok(PrivKey::Ed25519(Box::new(
            ed25519_dalek::SigningKey::from_bytes(&seed),
        )));
    }
    Err("x509: PKCS#8 wrapping contained private key with unknown algorithm".into())
}

/// A private key argument of a `…WithKey` function.
fn parse_key_for_gen(text: &str) -> Result<PrivKey, FuncError> {
    parse_private_key_pem(text).map_err(|e| FuncError::new(format!("parsing private key: {e}")))
}

/// The parts of a parsed certificate a signer needs.
struct ParsedCert {
    /// The DER subject Name, used as the issuer of signed certificates.
    subject: Vec<u8>,
    /// The subject key identifier extension, if any.
    subject_key_id: Option<Vec<u8>>,
}

/// Parse the DER certificate far enough for signing (Go's
/// `x509.ParseCertificate`, with its generic error text).
fn parse_cert(der: &[u8]) -> Result<ParsedCert, String> {
    let malformed = || "x509: malformed certificate".to_string();
    let (cert, rest) = der_read(der).ok_or_else(malformed)?;
    if cert.tag != 0x30 || !rest.is_empty() {
        return Err(malformed());
    }
    let parts = der_items(cert.body).ok_or_else(malformed)?;
    let tbs = parts
        .first()
        .filter(|t| t.tag == 0x30)
        .ok_or_else(malformed)?;
    let fields = der_items(tbs.body).ok_or_else(malformed)?;
    let off = usize::from(fields.first().is_some_and(|f| f.tag == 0xa0));
    let subject = fields.get(off + 4).ok_or_else(malformed)?;
    let mut ski = None;
    if let Some(exts) = fields.iter().skip(off + 6).find(|f| f.tag == 0xa3) {
        let (list, _) = der_read(exts.body).ok_or_else(malformed)?;
        for ext in der_items(list.body).ok_or_else(malformed)? {
            let e = der_items(ext.body).ok_or_else(malformed)?;
            if e.first().is_some_and(|o| o.raw == der_oid(OID_SKI))
                && let Some(v) = e.last()
                && let Some((inner, _)) = der_read(v.body)
            {
                ski = Some(inner.body.to_vec());
            }
        }
    }
    Ok(ParsedCert {
        subject: subject.raw.to_vec(),
        subject_key_id: ski,
    })
}

/// Sprig's `buildCustomCert`: check and wrap a base64 certificate and key.
fn build_custom_cert(b64cert: &str, b64key: &str) -> Result<Value, FuncError> {
    let cert = crate::sprig::base64_decode(b64cert)
        .map_err(|_| FuncError::new("unable to decode base64 certificate"))?;
    let key = crate::sprig::base64_decode(b64key)
        .map_err(|_| FuncError::new("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let Some((_, der)) = pem_decode(&cert) else {
        return Err(FuncError::new("unable to decode certificate"));
    };
    parse_cert(&der).map_err(|e| {
        FuncError::new(format!("error parsing certificate: decodedCert.Bytes: {e}"))
    })?;
    parse_private_key_pem(&key)
        .map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    Ok(cert_value(Certificate { cert, key }))
}

/// What goes in a certificate besides keys: Sprig's `getBaseCertTemplate`.
struct CertTemplate {
    cn: String,
    ips: Vec<Vec<u8>>,
    dns: Vec<String>,
    days: i64,
    is_ca: bool,
}

/// Read the `cn ips alternateDNS daysValid` arguments.
fn cert_template(a: &[Value], is_ca: bool) -> Result<CertTemplate, FuncError> {
    let list = |v: &Value| {
        v.as_list()
            .map(|l| l.as_slice().to_vec())
            .unwrap_or_default()
    };
    let mut ips = Vec::new();
    for ip in list(&a[1]) {
        let Some(text) = ip.as_str() else {
            return Err(FuncError::new(format!(
                "error parsing ip: {} is not a string",
                crate::fmt::to_string(&ip)
            )));
        };
        match text.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => ips.push(v4.octets().to_vec()),
            Ok(std::net::IpAddr::V6(v6)) => ips.push(v6.octets().to_vec()),
            Err(_) => return Err(FuncError::new(format!("error parsing ip: {text}"))),
        }
    }
    let mut dns = Vec::new();
    for d in list(&a[2]) {
        let Some(text) = d.as_str() else {
            return Err(FuncError::new(format!(
                "error processing alternate dns name: {} is not a string",
                crate::fmt::to_string(&d)
            )));
        };
        dns.push(text.to_owned());
    }
    Ok(CertTemplate {
        cn: arg_str(&a[0]).to_owned(),
        ips,
        dns,
        days: arg_int(&a[3]),
        is_ca,
    })
}

/// `genCA` / `genCAWithKey`.
fn gen_ca(cn: &str, days: i64, key: PrivKey) -> Result<Value, FuncError> {
    let t = CertTemplate {
        cn: cn.to_owned(),
        ips: Vec::new(),
        dns: Vec::new(),
        days,
        is_ca: true,
    };
    let (cert, key) = create_cert(&t, &key, None, &key)?;
    Ok(cert_value(Certificate { cert, key }))
}

/// `genSelfSignedCert` / `genSelfSignedCertWithKey`.
fn gen_self_signed(a: &[Value], key: PrivKey) -> Result<Value, FuncError> {
    let t = cert_template(a, false)?;
    let (cert, key) = create_cert(&t, &key, None, &key)?;
    Ok(cert_value(Certificate { cert, key }))
}

/// `genSignedCert` / `genSignedCertWithKey`.
fn gen_signed(a: &[Value], ca: &Certificate, key: PrivKey) -> Result<Value, FuncError> {
    let Some((_, der)) = pem_decode(&ca.cert) else {
        return Err(FuncError::new("unable to decode certificate"));
    };
    let parent = parse_cert(&der).map_err(|e| {
        FuncError::new(format!(
            "error parsing certificate: decodedSignerCert.Bytes: {e}"
        ))
    })?;
    let signer = parse_private_key_pem(&ca.key)
        .map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    let t = cert_template(a, false)?;
    let (cert, key) = create_cert(&t, &key, Some(&parent), &signer)?;
    Ok(cert_value(Certificate { cert, key }))
}

/// Go's `x509.CreateCertificate` for Sprig's templates, returning the
/// certificate and the subject's key as PEM.
fn create_cert(
    t: &CertTemplate,
    key: &PrivKey,
    parent: Option<&ParsedCert>,
    signer: &PrivKey,
) -> Result<(String, String), FuncError> {
    let mut serial = [0u8; 16];
    fill_random(&mut serial);
    let subject = if t.cn.is_empty() {
        der_seq(&[])
    } else {
        let value = if t.cn.bytes().all(is_printable) {
            der_tlv(0x13, t.cn.as_bytes())
        } else {
            der_tlv(0x0c, t.cn.as_bytes())
        };
        der_seq(&[der_tlv(0x31, &der_seq(&[der_oid(OID_CN), value]))])
    };
    let issuer = parent.map_or_else(|| subject.clone(), |p| p.subject.clone());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let not_after = now.saturating_add(t.days.saturating_mul(86_400));
    let (spki, pub_bits) = key.public_key_info();
    let mut exts = Vec::new();
    let ext = |oid: &[u64], critical: bool, value: Vec<u8>| {
        let mut parts = vec![der_oid(oid)];
        if critical {
            parts.push(vec![0x01, 0x01, 0xff]);
        }
        parts.push(der_tlv(0x04, &value));
        der_seq(&parts)
    };
    let key_usage: &[u8] = if t.is_ca {
        &[0x03, 0x02, 0x02, 0xa4]
    } else {
        &[0x03, 0x02, 0x05, 0xa0]
    };
    exts.push(ext(OID_KEY_USAGE, true, key_usage.to_vec()));
    exts.push(ext(
        OID_EXT_KEY_USAGE,
        false,
        der_seq(&[der_oid(OID_SERVER_AUTH), der_oid(OID_CLIENT_AUTH)]),
    ));
    let basic = if t.is_ca {
        der_seq(&[vec![0x01, 0x01, 0xff]])
    } else {
        der_seq(&[])
    };
    exts.push(ext(OID_BASIC_CONSTRAINTS, true, basic));
    if t.is_ca {
        use sha2::{Digest, Sha256};
        let skid = Sha256::digest(&pub_bits);
        exts.push(ext(OID_SKI, false, der_tlv(0x04, &skid[..20])));
    }
    if let Some(p) = parent
        && p.subject != subject
        && let Some(aki) = &p.subject_key_id
        && !aki.is_empty()
    {
        exts.push(ext(OID_AKI, false, der_seq(&[der_tlv(0x80, aki)])));
    }
    if !t.dns.is_empty() || !t.ips.is_empty() {
        let mut names: Vec<Vec<u8>> = t.dns.iter().map(|d| der_tlv(0x82, d.as_bytes())).collect();
        names.extend(t.ips.iter().map(|ip| der_tlv(0x87, ip)));
        exts.push(ext(OID_SAN, t.cn.is_empty(), der_seq(&names)));
    }
    let sig_alg = signer.signature_algorithm();
    let tbs = der_seq(&[
        der_tlv(0xa0, &der_tlv(0x02, &[2])),
        der_uint(&serial),
        sig_alg.clone(),
        issuer,
        der_seq(&[asn1_time(now), asn1_time(not_after)]),
        subject,
        spki,
        der_tlv(0xa3, &der_seq(&exts)),
    ]);
    let sig = signer.sign(&tbs)?;
    let cert = der_seq(&[tbs, sig_alg, der_bitstring(&sig)]);
    Ok((pem_encode("CERTIFICATE", &cert), key.to_pem()))
}

/// Go's ASN.1 `PrintableString` alphabet (with `*`, as Go allows).
fn is_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" '()+,-./:=?*".contains(&b)
}

/// A certificate time: UTCTime for 1950–2049, GeneralizedTime otherwise.
fn asn1_time(unix: i64) -> Vec<u8> {
    let (y, mo, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    let (h, mi, se) = (secs / 3600, secs / 60 % 60, secs % 60);
    if (1950..2050).contains(&y) {
        let text = format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{se:02}Z", y % 100);
        der_tlv(0x17, text.as_bytes())
    } else {
        let text = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{se:02}Z");
        der_tlv(0x18, text.as_bytes())
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// ----- dates -----

/// Register the date functions (`now`, `date`, `toDate`, `duration`, …).
fn register_dates(f: &mut FuncMap) {
    use ArgType::{Any, String as S};
    f.insert_simple("now", Signature::new(&[]), |_| {
        Ok(time_value(GoTime::now()))
    });
    f.insert_simple("date", Signature::new(&[S, Any]), |a| {
        Ok(s(date_in_zone(arg_str(&a[0]), &a[1], "Local")))
    });
    for name in ["dateInZone", "date_in_zone"] {
        f.insert_simple(name, Signature::new(&[S, Any, S]), |a| {
            Ok(s(date_in_zone(arg_str(&a[0]), &a[1], arg_str(&a[2]))))
        });
    }
    f.insert_simple("htmlDate", Signature::new(&[Any]), |a| {
        Ok(s(date_in_zone("2006-01-02", &a[0], "Local")))
    });
    f.insert_simple("htmlDateInZone", Signature::new(&[Any, S]), |a| {
        Ok(s(date_in_zone("2006-01-02", &a[0], arg_str(&a[1]))))
    });
    for name in ["dateModify", "date_modify"] {
        f.insert_simple(name, Signature::new(&[S, Any]), |a| {
            let t = time_arg(&a[1])?;
            Ok(time_value(match parse_duration(arg_str(&a[0])) {
                Ok(d) => t.add_nanos(d),
                Err(_) => t,
            }))
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        f.insert_simple(name, Signature::new(&[S, Any]), |a| {
            let t = time_arg(&a[1])?;
            let d = parse_duration(arg_str(&a[0])).map_err(FuncError::new)?;
            Ok(time_value(t.add_nanos(d)))
        });
    }
    f.insert_simple("ago", Signature::new(&[Any]), |a| {
        let t = match &a[0] {
            Value::Int(i) | Value::Int64(i) => GoTime::unix(*i, 0),
            other => time_arg(other).unwrap_or_else(|_| GoTime::now()),
        };
        let since = GoTime::now().nanos_since(&t);
        Ok(s(duration_string(round_duration(since, 1_000_000_000))))
    });
    f.insert_simple("duration", Signature::new(&[Any]), |a| {
        let n: i64 = match &a[0] {
            Value::String(v) => v.parse().unwrap_or(0),
            Value::Int64(i) => *i,
            _ => 0,
        };
        Ok(s(duration_string(i128::from(n) * 1_000_000_000)))
    });
    f.insert_simple("durationRound", Signature::new(&[Any]), |a| {
        let d: i128 = match &a[0] {
            Value::String(v) => parse_duration(v).unwrap_or(0),
            Value::Int64(i) => i128::from(*i),
            Value::Object(_) => match time_arg(&a[0]) {
                Ok(t) => GoTime::now().nanos_since(&t),
                Err(_) => 0,
            },
            _ => 0,
        };
        Ok(s(duration_round(d)))
    });
    f.insert_simple("toDate", Signature::new(&[S, S]), |a| {
        Ok(time_value(
            parse_time(arg_str(&a[0]), arg_str(&a[1])).unwrap_or_else(|_| GoTime::zero()),
        ))
    });
    f.insert_simple("mustToDate", Signature::new(&[S, S]), |a| {
        parse_time(arg_str(&a[0]), arg_str(&a[1]))
            .map(time_value)
            .map_err(FuncError::new)
    });
    f.insert_simple("unixEpoch", Signature::new(&[Any]), |a| {
        Ok(s(time_arg(&a[0])?.sec.to_string()))
    });
}

/// A Go `time.Location`: UTC, the local zone, a fixed offset, or a zone
/// read from the system's zoneinfo files.
#[derive(Clone)]
enum Loc {
    /// UTC (Go's nil location).
    Utc,
    /// `time.Local` (from `TZ` or `/etc/localtime`).
    Local(Rc<Option<tz::TimeZone>>),
    /// `time.FixedZone(name, offset)`.
    Fixed(String, i32),
    /// A named zone from the zoneinfo database.
    Zone(Rc<tz::TimeZone>),
}

impl Loc {
    /// Go's `time.Local`.
    fn local() -> Loc {
        let zone = match std::env::var("TZ") {
            Err(_) => std::fs::read("/etc/localtime")
                .ok()
                .and_then(|b| tz::TimeZone::from_tz_data(&b).ok()),
            Ok(v) if v.is_empty() => None,
            Ok(v) => load_zone(v.trim_start_matches(':')),
        };
        Loc::Local(Rc::new(zone))
    }

    /// Go's `time.LoadLocation`, falling back to UTC as Sprig does.
    fn load(name: &str) -> Loc {
        match name {
            "" | "UTC" => Loc::Utc,
            "Local" => Loc::local(),
            _ => load_zone(name).map_or(Loc::Utc, |z| Loc::Zone(Rc::new(z))),
        }
    }

    /// The offset (seconds east of UTC) and abbreviation in effect at `unix`.
    fn lookup(&self, unix: i64) -> (i32, String) {
        let zone = match self {
            Loc::Utc => return (0, "UTC".into()),
            Loc::Fixed(name, off) => return (*off, name.clone()),
            Loc::Local(z) => match z.as_ref() {
                Some(z) => z,
                None => return (0, "UTC".into()),
            },
            Loc::Zone(z) => z,
        };
        match zone.find_local_time_type(unix) {
            Ok(t) => (t.ut_offset(), t.time_zone_designation().to_owned()),
            Err(_) => (0, "UTC".into()),
        }
    }
}

/// A zone from the zoneinfo directories Go searches.
fn load_zone(name: &str) -> Option<tz::TimeZone> {
    if name.contains("..") || name.starts_with('/') && !name.starts_with("/usr/share/zoneinfo/") {
        return None;
    }
    let mut dirs: Vec<String> = Vec::new();
    if let Ok(d) = std::env::var("ZONEINFO") {
        dirs.push(d);
    }
    dirs.extend(
        [
            "/usr/share/zoneinfo",
            "/usr/share/lib/zoneinfo",
            "/usr/lib/locale/TZ",
            "/etc/zoneinfo",
        ]
        .map(String::from),
    );
    let paths: Vec<String> = if name.starts_with('/') {
        vec![name.to_owned()]
    } else {
        dirs.iter().map(|d| format!("{d}/{name}")).collect()
    };
    paths
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .and_then(|b| tz::TimeZone::from_tz_data(&b).ok())
}

/// A Go `time.Time`.
#[derive(Clone)]
struct GoTime {
    /// Seconds since the Unix epoch.
    sec: i64,
    /// Nanoseconds within the second.
    nsec: u32,
    /// The location.
    loc: Loc,
    /// The monotonic clock reading (ns since process start), for `now`.
    mono: Option<i128>,
}

/// When this process started reading the monotonic clock.
static MONO_START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

impl GoTime {
    /// `time.Now()` in the local zone with a monotonic reading.
    fn now() -> GoTime {
        let start = *MONO_START.get_or_init(std::time::Instant::now);
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        GoTime {
            sec: d.as_secs() as i64,
            nsec: d.subsec_nanos(),
            loc: Loc::local(),
            mono: Some(start.elapsed().as_nanos() as i128),
        }
    }

    /// `time.Unix(sec, nsec)` (local zone).
    fn unix(sec: i64, nsec: u32) -> GoTime {
        GoTime {
            sec,
            nsec,
            loc: Loc::local(),
            mono: None,
        }
    }

    /// The zero `time.Time` (January 1, year 1, UTC).
    fn zero() -> GoTime {
        GoTime {
            sec: -62_135_596_800,
            nsec: 0,
            loc: Loc::Utc,
            mono: None,
        }
    }

    /// `t.Add(d)`.
    fn add_nanos(&self, d: i128) -> GoTime {
        let total = i128::from(self.sec) * 1_000_000_000 + i128::from(self.nsec) + d;
        GoTime {
            sec: total.div_euclid(1_000_000_000) as i64,
            nsec: total.rem_euclid(1_000_000_000) as u32,
            loc: self.loc.clone(),
            mono: self.mono.map(|m| m + d),
        }
    }

    /// `self.Sub(other)` in nanoseconds.
    fn nanos_since(&self, other: &GoTime) -> i128 {
        if let (Some(a), Some(b)) = (self.mono, other.mono) {
            return a - b;
        }
        (i128::from(self.sec) - i128::from(other.sec)) * 1_000_000_000 + i128::from(self.nsec)
            - i128::from(other.nsec)
    }

    /// The same instant in `loc` (Go's `In`, which drops the monotonic reading).
    fn in_loc(&self, loc: Loc) -> GoTime {
        GoTime {
            sec: self.sec,
            nsec: self.nsec,
            loc,
            mono: None,
        }
    }

    /// The broken-down wall clock: (year, month, day, hour, min, sec,
    /// weekday 0=Sunday, day of year 1-based, offset, zone abbreviation).
    fn parts(&self) -> Parts {
        let (offset, abbr) = self.loc.lookup(self.sec);
        let local = self.sec + i64::from(offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Parts {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            min: (secs / 60 % 60) as u32,
            sec: (secs % 60) as u32,
            nsec: self.nsec,
            weekday: (days + 4).rem_euclid(7) as usize,
            yday: (days - days_from_civil(year, 1, 1) + 1) as u32,
            offset,
            abbr,
        }
    }

    /// Go's `Time.Format`.
    fn format(&self, layout: &str) -> String {
        go_format(&self.parts(), layout)
    }

    /// Go's `Time.String`.
    fn to_go_string(&self) -> String {
        let mut out = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.mono {
            let sign = if m < 0 { '-' } else { '+' };
            let m = m.abs();
            out.push_str(&format!(
                " m={sign}{}.{:09}",
                m / 1_000_000_000,
                m % 1_000_000_000
            ));
        }
        out
    }
}

/// A broken-down time, as Go's formatter uses it.
struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    nsec: u32,
    weekday: usize,
    yday: u32,
    offset: i32,
    abbr: String,
}

impl Object for GoTime {
    fn type_name(&self) -> String {
        "time.Time".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Struct
    }
    fn stringer(&self) -> Option<String> {
        Some(self.to_go_string())
    }
    fn method(&self, name: &str) -> Option<Signature> {
        use ArgType::{Int as I, Int64, String as S};
        Some(match name {
            "Unix" | "UnixNano" | "UnixMilli" | "UnixMicro" | "Year" | "Month" | "Day" | "Hour"
            | "Minute" | "Second" | "Nanosecond" | "YearDay" | "Weekday" | "UTC" | "Local"
            | "String" | "IsZero" => Signature::new(&[]),
            "Format" => Signature::new(&[S]),
            "Add" => Signature::new(&[Int64]),
            "AddDate" => Signature::new(&[I, I, I]),
            _ => return None,
        })
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        let p = self.parts();
        let ns = i128::from(self.sec) * 1_000_000_000 + i128::from(self.nsec);
        Ok(match name {
            "Unix" => Value::Int64(self.sec),
            "UnixNano" => Value::Int64(ns as i64),
            "UnixMilli" => Value::Int64((ns / 1_000_000) as i64),
            "UnixMicro" => Value::Int64((ns / 1_000) as i64),
            "Year" => Value::Int(p.year),
            "Month" => s(MONTHS[p.month as usize - 1]),
            "Day" => Value::Int(i64::from(p.day)),
            "Hour" => Value::Int(i64::from(p.hour)),
            "Minute" => Value::Int(i64::from(p.min)),
            "Second" => Value::Int(i64::from(p.sec)),
            "Nanosecond" => Value::Int(i64::from(p.nsec)),
            "YearDay" => Value::Int(i64::from(p.yday)),
            "Weekday" => s(DAYS[p.weekday]),
            "UTC" => time_value(self.in_loc(Loc::Utc)),
            "Local" => time_value(self.in_loc(Loc::local())),
            "IsZero" => Value::Bool(self.sec == -62_135_596_800 && self.nsec == 0),
            "Format" => s(self.format(arg_str(&args[0]))),
            "Add" => time_value(self.add_nanos(i128::from(arg_int(&args[0])))),
            "AddDate" => {
                let months = i64::from(p.month) - 1 + arg_int(&args[1]);
                let year = p.year + arg_int(&args[0]) + months.div_euclid(12);
                let month = months.rem_euclid(12) as u32 + 1;
                let days =
                    days_from_civil(year, month, 1) + i64::from(p.day) - 1 + arg_int(&args[2]);
                let wall = days * 86_400 + i64::from(p.hour * 3600 + p.min * 60 + p.sec);
                let mut t = self.clone();
                t.sec = wall - i64::from(p.offset);
                t.mono = None;
                time_value(t)
            }
            _ => s(self.to_go_string()),
        })
    }
    fn to_json_value(&self) -> Value {
        s(self.format("2006-01-02T15:04:05.999999999Z07:00"))
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A `time.Time` value.
fn time_value(t: GoTime) -> Value {
    Value::Object(Rc::new(t))
}

/// A `time.Time` argument, with Go's error for anything else.
fn time_arg(v: &Value) -> Result<GoTime, FuncError> {
    if let Value::Object(o) = v
        && o.type_name() == "time.Time"
        && let Some(t) = time_from_object(o.as_ref())
    {
        return Ok(t);
    }
    if v.is_nil() {
        return Err(FuncError::new("invalid value; expected time.Time"));
    }
    Err(FuncError::new(format!(
        "wrong type for value; expected time.Time; got {}",
        v.type_name()
    )))
}

/// Recover a [`GoTime`] from a `time.Time` object (objects cannot be
/// downcast): its instant from `Unix`/`Nanosecond`, its zone and monotonic
/// reading from its `String()` form. The zone becomes a fixed one.
fn time_from_object(o: &dyn Object) -> Option<GoTime> {
    let Value::Int64(sec) = o.call_method("Unix", &[]).ok()? else {
        return None;
    };
    let Value::Int(nsec) = o.call_method("Nanosecond", &[]).ok()? else {
        return None;
    };
    let text = o.stringer()?;
    let mono = text.split(" m=").nth(1).and_then(|m| {
        let (neg, body) = match m.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, m.trim_start_matches('+')),
        };
        let (whole, frac) = body.split_once('.')?;
        let v = whole.parse::<i128>().ok()? * 1_000_000_000 + frac.parse::<i128>().ok()?;
        Some(if neg { -v } else { v })
    });
    // The zone: the numeric offset and abbreviation as printed.
    let zone_part = text.split(" m=").next()?;
    let mut words = zone_part.rsplitn(3, ' ');
    let abbr = words.next()?.to_owned();
    let off_text = words.next()?;
    let off = parse_offset(off_text)?;
    let loc = if abbr == "UTC" && off == 0 {
        Loc::Utc
    } else {
        Loc::Fixed(abbr, off)
    };
    Some(GoTime {
        sec,
        nsec: nsec as u32,
        loc,
        mono,
    })
}

/// Parse `+hhmm`/`-hhmm` into seconds.
fn parse_offset(t: &str) -> Option<i32> {
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    Some(sign * (h * 3600 + m * 60))
}

/// Sprig's `dateInZone`: format a time, or Unix seconds (`int`, `int64`),
/// or (for anything else) the current time, in the named zone.
fn date_in_zone(layout: &str, date: &Value, zone: &str) -> String {
    let t = match date {
        Value::Int(i) | Value::Int64(i) => GoTime::unix(*i, 0),
        Value::Object(_) => time_arg(date).unwrap_or_else(|_| GoTime::now()),
        _ => GoTime::now(),
    };
    t.in_loc(Loc::load(zone)).format(layout)
}

/// Go's layout elements (`time.nextStdChunk`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// Fractional seconds: digits, trailing zeros trimmed (`9`), separator.
    Frac(usize, bool, u8),
}

/// Split `layout` at its first element: (literal prefix, element, rest).
fn next_std(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let lower_at = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_lowercase());
    let digit_at = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    let starts = |i: usize, p: &str| layout[i..].starts_with(p);
    for i in 0..b.len() {
        let hit = |n: usize, std: Std| Some((i, n, std));
        let found = match b[i] {
            b'J' if starts(i, "January") => hit(7, Std::LongMonth),
            b'J' if starts(i, "Jan") && !lower_at(i + 3) => hit(3, Std::Month),
            b'M' if starts(i, "Monday") => hit(6, Std::LongWeekDay),
            b'M' if starts(i, "Mon") && !lower_at(i + 3) => hit(3, Std::WeekDay),
            b'M' if starts(i, "MST") => hit(3, Std::Tz),
            b'0' if b.get(i + 1).is_some_and(|c| (b'1'..=b'6').contains(c)) => {
                let std = [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][usize::from(b[i + 1] - b'1')];
                hit(2, std)
            }
            b'0' if starts(i, "002") => hit(3, Std::ZeroYearDay),
            b'1' if starts(i, "15") => hit(2, Std::Hour),
            b'1' => hit(1, Std::NumMonth),
            b'2' if starts(i, "2006") => hit(4, Std::LongYear),
            b'2' => hit(1, Std::Day),
            b'_' if starts(i, "_2006") => {
                return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
            }
            b'_' if starts(i, "_2") => hit(2, Std::UnderDay),
            b'_' if starts(i, "__2") => hit(3, Std::UnderYearDay),
            b'3' => hit(1, Std::Hour12),
            b'4' => hit(1, Std::Minute),
            b'5' => hit(1, Std::Second),
            b'P' if starts(i, "PM") => hit(2, Std::PM),
            b'p' if starts(i, "pm") => hit(2, Std::Pm),
            b'-' if starts(i, "-070000") => hit(7, Std::NumSecondsTz),
            b'-' if starts(i, "-07:00:00") => hit(9, Std::NumColonSecondsTz),
            b'-' if starts(i, "-0700") => hit(5, Std::NumTz),
            b'-' if starts(i, "-07:00") => hit(6, Std::NumColonTz),
            b'-' if starts(i, "-07") => hit(3, Std::NumShortTz),
            b'Z' if starts(i, "Z070000") => hit(7, Std::Iso8601SecondsTz),
            b'Z' if starts(i, "Z07:00:00") => hit(9, Std::Iso8601ColonSecondsTz),
            b'Z' if starts(i, "Z0700") => hit(5, Std::Iso8601Tz),
            b'Z' if starts(i, "Z07:00") => hit(6, Std::Iso8601ColonTz),
            b'Z' if starts(i, "Z07") => hit(3, Std::Iso8601ShortTz),
            c @ (b'.' | b',') if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if digit_at(j) {
                    None
                } else {
                    hit(j - i, Std::Frac(j - i - 1, ch == b'9', c))
                }
            }
            _ => None,
        };
        if let Some((start, n, std)) = found {
            return (&layout[..start], Some(std), &layout[start + n..]);
        }
    }
    (layout, None, "")
}

/// Go's `Time.Format` over broken-down parts.
fn go_format(p: &Parts, layout: &str) -> String {
    let mut out = String::new();
    let mut rest = layout;
    loop {
        let (prefix, std, tail) = next_std(rest);
        out.push_str(prefix);
        let Some(std) = std else {
            break;
        };
        rest = tail;
        let hour12 = match p.hour % 12 {
            0 => 12,
            h => h,
        };
        match std {
            Std::Year => out.push_str(&format!("{:02}", p.year.rem_euclid(100))),
            Std::LongYear => {
                if p.year < 0 {
                    out.push_str(&format!("-{:04}", -p.year));
                } else {
                    out.push_str(&format!("{:04}", p.year));
                }
            }
            Std::Month => out.push_str(&MONTHS[p.month as usize - 1][..3]),
            Std::LongMonth => out.push_str(MONTHS[p.month as usize - 1]),
            Std::NumMonth => out.push_str(&p.month.to_string()),
            Std::ZeroMonth => out.push_str(&format!("{:02}", p.month)),
            Std::WeekDay => out.push_str(&DAYS[p.weekday][..3]),
            Std::LongWeekDay => out.push_str(DAYS[p.weekday]),
            Std::Day => out.push_str(&p.day.to_string()),
            Std::UnderDay => out.push_str(&format!("{:>2}", p.day)),
            Std::ZeroDay => out.push_str(&format!("{:02}", p.day)),
            Std::UnderYearDay => out.push_str(&format!("{:>3}", p.yday)),
            Std::ZeroYearDay => out.push_str(&format!("{:03}", p.yday)),
            Std::Hour => out.push_str(&format!("{:02}", p.hour)),
            Std::Hour12 => out.push_str(&hour12.to_string()),
            Std::ZeroHour12 => out.push_str(&format!("{hour12:02}")),
            Std::Minute => out.push_str(&p.min.to_string()),
            Std::ZeroMinute => out.push_str(&format!("{:02}", p.min)),
            Std::Second => out.push_str(&p.sec.to_string()),
            Std::ZeroSecond => out.push_str(&format!("{:02}", p.sec)),
            Std::PM => out.push_str(if p.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => out.push_str(if p.hour >= 12 { "pm" } else { "am" }),
            Std::Tz => {
                if p.abbr.is_empty() {
                    let z = p.offset / 60;
                    let sign = if z < 0 { '-' } else { '+' };
                    let z = z.abs();
                    out.push_str(&format!("{sign}{:02}{:02}", z / 60, z % 60));
                } else {
                    out.push_str(&p.abbr);
                }
            }
            Std::Frac(n, trim, sep) => {
                let digits = format!("{:09}", p.nsec);
                let mut d = &digits[..n.min(9)];
                if trim {
                    d = d.trim_end_matches('0');
                    if d.is_empty() {
                        continue;
                    }
                }
                out.push(char::from(sep));
                out.push_str(d);
            }
            tz => {
                let iso = matches!(
                    tz,
                    Std::Iso8601Tz
                        | Std::Iso8601SecondsTz
                        | Std::Iso8601ShortTz
                        | Std::Iso8601ColonTz
                        | Std::Iso8601ColonSecondsTz
                );
                if iso && p.offset == 0 {
                    out.push('Z');
                    continue;
                }
                let colon = matches!(
                    tz,
                    Std::Iso8601ColonTz
                        | Std::Iso8601ColonSecondsTz
                        | Std::NumColonTz
                        | Std::NumColonSecondsTz
                );
                let z = p.offset / 60;
                out.push(if z < 0 { '-' } else { '+' });
                let (z, abs) = (z.abs(), p.offset.abs());
                out.push_str(&format!("{:02}", z / 60));
                if !matches!(tz, Std::NumShortTz | Std::Iso8601ShortTz) {
                    if colon {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", z % 60));
                }
                if matches!(
                    tz,
                    Std::Iso8601SecondsTz
                        | Std::NumSecondsTz
                        | Std::NumColonSecondsTz
                        | Std::Iso8601ColonSecondsTz
                ) {
                    if colon {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", abs % 60));
                }
            }
        }
    }
    out
}

/// Go's `time.ParseInLocation(layout, value, time.Local)`, with Go's error
/// texts.
fn parse_time(layout: &str, value: &str) -> Result<GoTime, String> {
    let (alayout, avalue) = (layout, value);
    let err_elem = |vel: &str, lel: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            crate::fmt::quote(avalue),
            crate::fmt::quote(alayout),
            crate::fmt::quote(vel),
            crate::fmt::quote(lel)
        )
    };
    let err_msg = |msg: &str| format!("parsing time {}{msg}", crate::fmt::quote(avalue));
    let (mut year, mut month, mut day) = (0i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let mut pm_set = false;
    let mut am_set = false;
    let mut zone_offset: Option<i32> = None;
    let mut zone_name = String::new();
    let mut utc = false;
    let mut layout = layout;
    let mut value = value;
    let mut range_err: Option<&str> = None;
    loop {
        let (prefix, std, suffix) = next_std(layout);
        let std_str = &layout[prefix.len()..layout.len() - suffix.len()];
        let Some(v) = value.strip_prefix(prefix) else {
            return Err(err_elem(value, prefix));
        };
        value = v;
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(err_msg(&format!(
                    ": extra text: {}",
                    crate::fmt::quote(value)
                )));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let bad = || err_elem(hold, std_str);
        match std {
            Std::Year => {
                let n = fixed_digits(value, 2).ok_or_else(bad)?;
                year = if n >= 69 { n + 1900 } else { n + 2000 };
                value = &value[2..];
            }
            Std::LongYear => {
                year = fixed_digits(value, 4).ok_or_else(bad)?;
                value = &value[4..];
            }
            Std::Month | Std::LongMonth => {
                let names: Vec<String> = MONTHS
                    .iter()
                    .map(|m| {
                        if std == Std::Month {
                            m[..3].to_owned()
                        } else {
                            (*m).to_owned()
                        }
                    })
                    .collect();
                let (i, rest) = lookup_name(&names, value).ok_or_else(bad)?;
                month = i as i64 + 1;
                value = rest;
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (n, rest) = getnum(value, std == Std::ZeroMonth).ok_or_else(bad)?;
                if !(1..=12).contains(&n) {
                    range_err = Some("month");
                }
                month = n;
                value = rest;
            }
            Std::WeekDay | Std::LongWeekDay => {
                let names: Vec<String> = DAYS
                    .iter()
                    .map(|d| {
                        if std == Std::WeekDay {
                            d[..3].to_owned()
                        } else {
                            (*d).to_owned()
                        }
                    })
                    .collect();
                let (_, rest) = lookup_name(&names, value).ok_or_else(bad)?;
                value = rest;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.starts_with(' ') {
                    value = &value[1..];
                }
                let (n, rest) = getnum(value, std == Std::ZeroDay).ok_or_else(bad)?;
                day = n;
                value = rest;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                let (_, rest) = getnum3(value, std == Std::ZeroYearDay).ok_or_else(bad)?;
                value = rest;
            }
            Std::Hour => {
                let (n, rest) = getnum(value, false).ok_or_else(bad)?;
                if !(0..24).contains(&n) {
                    range_err = Some("hour");
                }
                hour = n;
                value = rest;
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (n, rest) = getnum(value, std == Std::ZeroHour12).ok_or_else(bad)?;
                if !(0..=12).contains(&n) {
                    range_err = Some("hour");
                }
                hour = n;
                value = rest;
            }
            Std::Minute | Std::ZeroMinute | Std::Second | Std::ZeroSecond => {
                let fixed = matches!(std, Std::ZeroMinute | Std::ZeroSecond);
                let (n, rest) = getnum(value, fixed).ok_or_else(bad)?;
                if !(0..60).contains(&n) {
                    range_err = Some(if matches!(std, Std::Minute | Std::ZeroMinute) {
                        "minute"
                    } else {
                        "second"
                    });
                }
                value = rest;
                if matches!(std, Std::Minute | Std::ZeroMinute) {
                    min = n;
                } else {
                    sec = n;
                    // A fractional second the layout does not mention.
                    let vb = value.as_bytes();
                    if vb.len() >= 2
                        && matches!(vb[0], b'.' | b',')
                        && vb[1].is_ascii_digit()
                        && !matches!(next_std(layout).1, Some(Std::Frac(..)))
                        && next_std(layout).0.is_empty()
                    {
                        let n = 1 + vb[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                        nsec = parse_nanos(&value[..n]);
                        value = &value[n..];
                    }
                }
            }
            Std::PM | Std::Pm => {
                let Some(p) = value.get(..2) else {
                    return Err(bad());
                };
                let want_upper = std == Std::PM;
                match p {
                    "PM" if want_upper => pm_set = true,
                    "AM" if want_upper => am_set = true,
                    "pm" if !want_upper => pm_set = true,
                    "am" if !want_upper => am_set = true,
                    _ => return Err(bad()),
                }
                value = &value[2..];
            }
            Std::Tz => {
                if value.starts_with("UTC") {
                    utc = true;
                    value = &value[3..];
                    continue;
                }
                let n = value.bytes().take_while(u8::is_ascii_uppercase).count();
                if n < 3 {
                    return Err(bad());
                }
                zone_name = value[..n].to_owned();
                value = &value[n..];
            }
            Std::Frac(n, trim, _) => {
                let vb = value.as_bytes();
                if trim {
                    if vb.len() < 2 || !matches!(vb[0], b'.' | b',') || !vb[1].is_ascii_digit() {
                        continue;
                    }
                    let k = 1 + vb[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    nsec = parse_nanos(&value[..k.min(10)]);
                    value = &value[k..];
                } else {
                    if vb.len() < n + 1 || !matches!(vb[0], b'.' | b',') {
                        return Err(bad());
                    }
                    if !vb[1..=n].iter().all(u8::is_ascii_digit) {
                        return Err(bad());
                    }
                    nsec = parse_nanos(&value[..=n]);
                    value = &value[n + 1..];
                }
            }
            tz => {
                let iso = matches!(
                    tz,
                    Std::Iso8601Tz
                        | Std::Iso8601SecondsTz
                        | Std::Iso8601ShortTz
                        | Std::Iso8601ColonTz
                        | Std::Iso8601ColonSecondsTz
                );
                if iso && value.starts_with('Z') {
                    value = &value[1..];
                    utc = true;
                    continue;
                }
                let (colon, with_min, with_sec) = match tz {
                    Std::Iso8601ColonTz | Std::NumColonTz => (true, true, false),
                    Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => (true, true, true),
                    Std::Iso8601ShortTz | Std::NumShortTz => (false, false, false),
                    Std::Iso8601SecondsTz | Std::NumSecondsTz => (false, true, true),
                    _ => (false, true, false),
                };
                let vb = value.as_bytes();
                let sign = match vb.first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(bad()),
                };
                let mut pos = 1;
                let take2 = |pos: &mut usize, sep: bool| -> Option<i32> {
                    if sep {
                        if vb.get(*pos) != Some(&b':') {
                            return None;
                        }
                        *pos += 1;
                    }
                    let d = value.get(*pos..*pos + 2)?;
                    if !d.bytes().all(|c| c.is_ascii_digit()) {
                        return None;
                    }
                    *pos += 2;
                    d.parse().ok()
                };
                let hh = take2(&mut pos, false).ok_or_else(bad)?;
                let mm = if with_min {
                    take2(&mut pos, colon).ok_or_else(bad)?
                } else {
                    0
                };
                let ss = if with_sec {
                    take2(&mut pos, colon).ok_or_else(bad)?
                } else {
                    0
                };
                if hh > 24 || mm >= 60 || ss >= 60 {
                    range_err = Some("time zone offset");
                }
                zone_offset = Some(sign * (hh * 3600 + mm * 60 + ss));
                value = &value[pos..];
            }
        }
    }
    if let Some(r) = range_err {
        return Err(err_msg(&format!(": {r} out of range")));
    }
    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }
    if month < 0 {
        month = 1;
    }
    if day < 0 {
        day = 1;
    }
    if day < 1 || day > days_in(month as u32, year) {
        return Err(err_msg(": day out of range"));
    }
    let wall =
        days_from_civil(year, month as u32, day as u32) * 86_400 + hour * 3600 + min * 60 + sec;
    let mk = |sec: i64, loc: Loc| GoTime {
        sec,
        nsec: nsec as u32,
        loc,
        mono: None,
    };
    if utc {
        return Ok(mk(wall, Loc::Utc));
    }
    let local = Loc::local();
    if let Some(off) = zone_offset {
        let t = wall - i64::from(off);
        let (loff, lname) = local.lookup(t);
        if loff == off && (zone_name.is_empty() || lname == zone_name) {
            return Ok(mk(t, local));
        }
        return Ok(mk(t, Loc::Fixed(zone_name, off)));
    }
    if !zone_name.is_empty() {
        let (loff, lname) = local.lookup(wall);
        if lname == zone_name {
            return Ok(mk(wall - i64::from(loff), local));
        }
        let mut off = 0;
        if let Some(h) = zone_name.strip_prefix("GMT") {
            off = h.parse::<i32>().unwrap_or(0) * 3600;
        }
        return Ok(mk(wall - i64::from(off), Loc::Fixed(zone_name, off)));
    }
    let (off1, _) = local.lookup(wall);
    let (off2, _) = local.lookup(wall - i64::from(off1));
    Ok(mk(wall - i64::from(off2), local))
}

/// Exactly `n` leading digits of `s` as a number.
fn fixed_digits(s: &str, n: usize) -> Option<i64> {
    let d = s.get(..n)?;
    d.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| d.parse().ok())?
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_digit() {
        return None;
    }
    if !b.get(1).is_some_and(u8::is_ascii_digit) {
        if fixed {
            return None;
        }
        return Some((i64::from(b[0] - b'0'), &s[1..]));
    }
    Some((
        i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'),
        &s[2..],
    ))
}

/// Go's `getnum3`: up to three digits (exactly three when `fixed`).
fn getnum3(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let n = s.bytes().take(3).take_while(u8::is_ascii_digit).count();
    if n == 0 || fixed && n != 3 {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// A case-insensitive match of one of `names` at the start of `s`.
fn lookup_name<'a>(names: &[String], s: &'a str) -> Option<(usize, &'a str)> {
    names.iter().enumerate().find_map(|(i, n)| {
        let head = s.get(..n.len())?;
        head.eq_ignore_ascii_case(n).then(|| (i, &s[n.len()..]))
    })
}

/// Nanoseconds of a `.ddd` fraction.
fn parse_nanos(frac: &str) -> i64 {
    let digits: String = frac[1..].chars().take(9).collect();
    format!("{digits:0<9}").parse().unwrap_or(0)
}

/// Days in `month` of `year`.
fn days_in(month: u32, year: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `time.ParseDuration`, in nanoseconds, with Go's error texts.
fn parse_duration(s: &str) -> Result<i128, String> {
    let orig = s;
    let invalid = || format!("time: invalid duration {}", crate::fmt::quote(orig));
    let mut s = s;
    let mut neg = false;
    if let Some(c) = s.chars().next()
        && (c == '-' || c == '+')
    {
        neg = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: i128 = 0;
    while !s.is_empty() {
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &s[..int_len];
        s = &s[int_len..];
        let mut frac_part = "";
        if let Some(rest) = s.strip_prefix('.') {
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &rest[..n];
            s = &rest[n..];
            if int_len == 0 && n == 0 {
                return Err(invalid());
            }
        } else if int_len == 0 {
            return Err(invalid());
        }
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        if unit.is_empty() {
            return Err(format!(
                "time: missing unit in duration {}",
                crate::fmt::quote(orig)
            ));
        }
        let mult: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    crate::fmt::quote(unit),
                    crate::fmt::quote(orig)
                ));
            }
        };
        let whole: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut v = whole.checked_mul(mult).ok_or_else(invalid)?;
        if !frac_part.is_empty() {
            let mut scale = 1i128;
            let mut f: i128 = 0;
            for c in frac_part.bytes().take(30) {
                f = f * 10 + i128::from(c - b'0');
                scale *= 10;
            }
            v += f * mult / scale;
        }
        total += v;
        if total > i128::from(i64::MAX) + i128::from(neg) {
            return Err(invalid());
        }
    }
    Ok(if neg { -total } else { total })
}

/// Go's `Duration.String` (`1h2m3.5s`, `1.5ms`, `0s`).
fn duration_string(d: i128) -> String {
    let d = d.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1u128)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac_str(u, div));
        out.push_str(unit);
    } else {
        let secs = u / 1_000_000_000;
        let (h, m) = (secs / 3600, secs / 60 % 60);
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac_str(u % 60_000_000_000, 1_000_000_000));
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `v / div` with the remainder as a decimal fraction, trailing zeros trimmed.
fn frac_str(v: u128, div: u128) -> String {
    let whole = v / div;
    let rem = v % div;
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let frac = format!("{rem:0width$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// Go's `Duration.Round(m)` (halves away from zero).
fn round_duration(d: i128, m: i128) -> i128 {
    let r = d.rem_euclid(m);
    if d < 0 {
        let r = (-d) % m;
        if r + r < m { d + r } else { d + r - m }
    } else if r + r < m {
        d - r
    } else {
        d + m - r
    }
}

/// Sprig's `durationRound`: the largest whole unit (`2h`, `3mo`, `1y`).
fn duration_round(d: i128) -> String {
    let u = d.unsigned_abs();
    let hour: u128 = 3_600_000_000_000;
    let units: [(u128, &str); 6] = [
        (hour * 24 * 365, "y"),
        (hour * 24 * 30, "mo"),
        (hour * 24, "d"),
        (hour, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    for (size, name) in units {
        if u > size {
            return format!("{}{name}", u / size);
        }
    }
    "0s".into()
}

// ----- strings, lists, math, paths -----

/// Register the remaining string, list, math and path functions, and the
/// `must*` aliases whose behaviour equals an existing function's.
fn register_misc(f: &mut FuncMap) {
    use ArgType::{Any, Int as I, String as S};
    for (alias, orig) in [
        ("tuple", "list"),
        ("biggest", "max"),
        ("trimall", "trimAll"),
        ("mustAppend", "append"),
        ("mustPush", "push"),
        ("mustPrepend", "prepend"),
        ("mustFirst", "first"),
        ("mustLast", "last"),
        ("mustRest", "rest"),
        ("mustInitial", "initial"),
        ("mustReverse", "reverse"),
        ("mustUniq", "uniq"),
        ("mustWithout", "without"),
        ("mustHas", "has"),
        ("mustSlice", "slice"),
        ("mustCompact", "compact"),
        ("mustMerge", "merge"),
        ("mustMergeOverwrite", "mergeOverwrite"),
        ("mustDeepCopy", "deepCopy"),
        ("mustToRawJson", "toRawJson"),
        ("mustToPrettyJson", "toPrettyJson"),
        ("mustRegexMatch", "regexMatch"),
        ("mustRegexFind", "regexFind"),
        ("mustRegexFindAll", "regexFindAll"),
        ("mustRegexReplaceAll", "regexReplaceAll"),
        ("mustRegexReplaceAllLiteral", "regexReplaceAllLiteral"),
    ] {
        if !f.contains(alias)
            && let Some(func) = f.get(orig).cloned()
        {
            let imp = func.f.clone();
            f.insert(alias, func.sig.clone(), move |cx, a| imp(cx, a));
        }
    }
    f.insert_simple("hello", Signature::new(&[]), |_| Ok(s("Hello!")));
    f.insert_simple(
        "mustFromJson",
        Signature::new(&[S]).returns_interface(),
        |a| crate::sprig::from_json(arg_str(&a[0])).map_err(FuncError::new),
    );
    f.insert_simple("abbrev", Signature::new(&[I, S]), |a| {
        let (w, st) = (arg_int(&a[0]), arg_str(&a[1]));
        if w < 4 {
            return Ok(s(st));
        }
        Ok(s(abbreviate_full(st.as_bytes(), 0, w)))
    });
    f.insert_simple("abbrevboth", Signature::new(&[I, I, S]), |a| {
        let (l, r, st) = (arg_int(&a[0]), arg_int(&a[1]), arg_str(&a[2]));
        if r < 4 || l > 0 && r < 7 {
            return Ok(s(st));
        }
        Ok(s(abbreviate_full(st.as_bytes(), l, r)))
    });
    f.insert_simple("untitle", Signature::new(&[S]), |a| {
        // goutils' Uncapitalize: the first letter of every word lowered.
        let mut gap = true;
        let mut out = String::new();
        for c in arg_str(&a[0]).chars() {
            if c.is_whitespace() {
                gap = true;
                out.push(c);
            } else if gap {
                out.push_str(&crate::sprig::go_lower(&c.to_string()));
                gap = false;
            } else {
                out.push(c);
            }
        }
        Ok(s(out))
    });
    f.insert_simple("initials", Signature::new(&[S]), |a| {
        // goutils reads bytes as runes.
        let mut out = String::new();
        let mut gap = true;
        for &b in arg_str(&a[0]).as_bytes() {
            let c = char::from(b);
            if c.is_whitespace() || c == '\u{85}' || c == '\u{a0}' {
                gap = true;
            } else if gap {
                out.push(c);
                gap = false;
            }
        }
        Ok(s(out))
    });
    f.insert_simple("swapcase", Signature::new(&[S]), |a| {
        Ok(s(arg_str(&a[0])
            .chars()
            .map(|c| {
                if c.is_uppercase() {
                    crate::sprig::go_lower(&c.to_string())
                } else if c.is_lowercase() {
                    crate::sprig::go_upper(&c.to_string())
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()))
    });
    f.insert_simple("camelcase", Signature::new(&[S]), |a| {
        Ok(s(pascal_case(arg_str(&a[0]))))
    });
    f.insert_simple("wrap", Signature::new(&[I, S]), |a| {
        Ok(s(wrap_custom(arg_str(&a[1]), arg_int(&a[0]), "", false)))
    });
    f.insert_simple("wrapWith", Signature::new(&[I, S, S]), |a| {
        Ok(s(wrap_custom(
            arg_str(&a[2]),
            arg_int(&a[0]),
            arg_str(&a[1]),
            true,
        )))
    });
    f.insert_simple("plural", Signature::new(&[S, S, I]), |a| {
        Ok(if arg_int(&a[2]) == 1 {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    f.insert_simple("splitn", Signature::new(&[S, I, S]), |a| {
        let (sep, n, st) = (arg_str(&a[0]), arg_int(&a[1]), arg_str(&a[2]));
        let m = crate::value::Map::with_type(None, crate::value::ElemType::String);
        for (i, p) in go_splitn(st, sep, n).into_iter().enumerate() {
            m.insert(format!("_{i}"), s(p));
        }
        Ok(Value::Map(m))
    });
    f.insert_simple("untilStep", Signature::new(&[I, I, I]), |a| {
        let v = until_step(arg_int(&a[0]), arg_int(&a[1]), arg_int(&a[2]));
        Ok(Value::List(crate::value::List::with_elem(
            v.into_iter().map(Value::Int).collect(),
            crate::value::ElemType::Int,
        )))
    });
    f.insert_simple("seq", Signature::variadic(&[], I), |a| {
        let p: Vec<i64> = a.iter().map(arg_int).collect();
        let v = match p.as_slice() {
            [end] => {
                let inc = if *end < 1 { -1 } else { 1 };
                until_step(1, end + inc, inc)
            }
            [start, end] => {
                let step = if end < start { -1 } else { 1 };
                until_step(*start, end + step, step)
            }
            [start, step, end] => {
                let mut inc = 1;
                if end < start {
                    inc = -1;
                    if *step > 0 {
                        return Ok(s(""));
                    }
                }
                until_step(*start, end + inc, *step)
            }
            _ => Vec::new(),
        };
        Ok(s(v
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(" ")))
    });
    f.insert_simple("toDecimal", Signature::new(&[Any]), |a| {
        let text = crate::fmt::to_string(&a[0]);
        Ok(Value::Int64(go_parse_int_base8(&text).unwrap_or(0)))
    });
    f.insert_simple("typeIsLike", Signature::new(&[S, Any]), |a| {
        let t = a[1].type_name();
        let target = arg_str(&a[0]);
        Ok(Value::Bool(t == target || t == format!("*{target}")))
    });
    for (name, must) in [("chunk", false), ("mustChunk", true)] {
        f.insert_simple(name, Signature::new(&[I, Any]), move |a| {
            let size = arg_int(&a[0]);
            let Some(items) = a[1].as_list().map(|l| l.as_slice().to_vec()) else {
                if a[1].is_nil() {
                    return Err(runtime("invalid memory address or nil pointer dereference"));
                }
                let _ = must;
                return Err(FuncError::new(format!(
                    "Cannot chunk type {}",
                    a[1].kind_name()
                )));
            };
            if size <= 0 {
                return Err(runtime("makeslice: len out of range"));
            }
            let chunks: Vec<Value> = items
                .chunks(size as usize)
                .map(|c| Value::list(c.to_vec()))
                .collect();
            Ok(Value::list(chunks))
        });
    }
    // Float math through decimals, as Sprig's shopspring/decimal does.
    f.insert_simple("add1f", Signature::new(&[Any]), |a| {
        Ok(Value::Float(dec_op(to_f(&a[0]), &[1.0], DecOp::Add)))
    });
    f.insert_simple("addf", Signature::variadic(&[], Any), |a| {
        let xs: Vec<f64> = a.iter().map(to_f).collect();
        Ok(Value::Float(dec_op(0.0, &xs, DecOp::Add)))
    });
    for (name, op) in [
        ("subf", DecOp::Sub),
        ("mulf", DecOp::Mul),
        ("divf", DecOp::Div),
    ] {
        f.insert_simple(name, Signature::variadic(&[Any], Any), move |a| {
            let xs: Vec<f64> = a[1..].iter().map(to_f).collect();
            if op == DecOp::Div && xs.contains(&0.0) {
                return Err(FuncError::new("decimal division by 0"));
            }
            Ok(Value::Float(dec_op(to_f(&a[0]), &xs, op)))
        });
    }
    f.insert_simple("maxf", Signature::variadic(&[Any], Any), |a| {
        Ok(Value::Float(
            a[1..].iter().map(to_f).fold(to_f(&a[0]), go_max),
        ))
    });
    f.insert_simple("minf", Signature::variadic(&[Any], Any), |a| {
        Ok(Value::Float(
            a[1..].iter().map(to_f).fold(to_f(&a[0]), go_min),
        ))
    });
    f.insert_simple("ceil", Signature::new(&[Any]), |a| {
        Ok(Value::Float(to_f(&a[0]).ceil()))
    });
    f.insert_simple("floor", Signature::new(&[Any]), |a| {
        Ok(Value::Float(to_f(&a[0]).floor()))
    });
    f.insert_simple(
        "round",
        Signature::variadic(&[Any, I], ArgType::Float64),
        |a| {
            let round_on = match a.get(2) {
                Some(Value::Float(x)) => *x,
                _ => 0.5,
            };
            let val = to_f(&a[0]);
            let pow = 10f64.powf(arg_int(&a[1]) as f64);
            let digit = pow * val;
            let frac = digit - digit.trunc();
            let r = if frac >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::Float(r / pow))
        },
    );
    // Regexps.
    f.insert_simple("regexQuoteMeta", Signature::new(&[S]), |a| {
        let mut out = String::new();
        for c in arg_str(&a[0]).chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(s(out))
    });
    // Go's compile errors come from `regexMatch`, which reports them as Go does.
    if let Some(matcher) = f.get("regexMatch").map(|m| m.f.clone()) {
        for name in ["regexSplit", "mustRegexSplit"] {
            let matcher = matcher.clone();
            f.insert(name, Signature::new(&[S, S, I]), move |cx, a| {
                let re = arg_str(&a[0]);
                let Ok(compiled) = regex::Regex::new(re) else {
                    let err = match matcher(cx, &[a[0].clone(), s("")]) {
                        Err(e) => e.message().to_owned(),
                        Ok(_) => "error parsing regexp".to_owned(),
                    };
                    // mustRegexSplit returns the error, whose text lacks
                    // the "regexp: Compile(…): " of regexSplit's panic.
                    if name.starts_with("must")
                        && let Some(i) = err.find("error parsing regexp")
                    {
                        return Err(FuncError::new(&err[i..]));
                    }
                    return Err(FuncError::new(err));
                };
                Ok(Value::string_list(regex_split(
                    &compiled,
                    re,
                    arg_str(&a[1]),
                    arg_int(&a[2]),
                )))
            });
        }
    }
    // Paths (`os*` are the same on Linux).
    for (name, func) in [
        ("base", path_base as fn(&str) -> String),
        ("dir", path_dir),
        ("clean", path_clean),
        ("ext", path_ext),
        ("osBase", path_base),
        ("osDir", path_dir),
        ("osClean", path_clean),
        ("osExt", path_ext),
    ] {
        f.insert_simple(name, Signature::new(&[S]), move |a| {
            Ok(s(func(arg_str(&a[0]))))
        });
    }
    for name in ["isAbs", "osIsAbs"] {
        f.insert_simple(name, Signature::new(&[S]), |a| {
            Ok(Value::Bool(arg_str(&a[0]).starts_with('/')))
        });
    }
}

/// spf13/cast `ToFloat64`.
fn to_f(v: &Value) -> f64 {
    crate::sprig::to_float64(v)
}

/// Go's `math.Max` (NaN wins, +0 over -0).
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { b } else { a };
    }
    a.max(b)
}

/// Go's `math.Min`.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { a } else { b };
    }
    a.min(b)
}

/// A decimal operation of Sprig's float math.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DecOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// shopspring/decimal arithmetic on the shortest decimal forms of the
/// operands (`addf 0.1 0.2` is `0.3`), falling back to floats when the
/// numbers do not fit.
fn dec_op(first: f64, rest: &[f64], op: DecOp) -> f64 {
    let mut acc = Decimal::from_f64(first);
    for &x in rest {
        let d = Decimal::from_f64(x);
        acc = match (acc, d) {
            (Some(a), Some(b)) => a.apply(&b, op),
            _ => None,
        };
    }
    match acc {
        Some(d) => d.to_f64(),
        None => rest.iter().fold(first, |a, &b| match op {
            DecOp::Add => a + b,
            DecOp::Sub => a - b,
            DecOp::Mul => a * b,
            DecOp::Div => a / b,
        }),
    }
}

/// A small exact decimal: `mant × 10^exp`.
#[derive(Clone, Copy)]
struct Decimal {
    mant: i128,
    exp: i32,
}

impl Decimal {
    /// The shortest decimal that reads back as `f`.
    fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        let text = format!("{f:e}");
        let (m, e) = text.split_once('e')?;
        let exp: i32 = e.parse().ok()?;
        let (int, frac) = m.split_once('.').unwrap_or((m, ""));
        let mant: i128 = format!("{int}{frac}").parse().ok()?;
        Some(Decimal {
            mant,
            exp: exp - frac.len() as i32,
        })
    }

    /// Bring both to the same exponent.
    fn align(a: Decimal, b: Decimal) -> Option<(i128, i128, i32)> {
        let exp = a.exp.min(b.exp);
        let scale = |d: Decimal| -> Option<i128> {
            let k = u32::try_from(d.exp - exp).ok()?;
            d.mant.checked_mul(10i128.checked_pow(k)?)
        };
        Some((scale(a)?, scale(b)?, exp))
    }

    /// `self op other`.
    fn apply(&self, other: &Decimal, op: DecOp) -> Option<Decimal> {
        match op {
            DecOp::Add | DecOp::Sub => {
                let (a, b, exp) = Decimal::align(*self, *other)?;
                let mant = if op == DecOp::Add {
                    a.checked_add(b)?
                } else {
                    a.checked_sub(b)?
                };
                Some(Decimal { mant, exp })
            }
            DecOp::Mul => Some(Decimal {
                mant: self.mant.checked_mul(other.mant)?,
                exp: self.exp.checked_add(other.exp)?,
            }),
            DecOp::Div => {
                if other.mant == 0 {
                    return None;
                }
                // Rounded half away from zero to 16 decimal places.
                let shift = 16 + self.exp - other.exp;
                let (num, den) = if shift >= 0 {
                    (
                        self.mant.checked_mul(10i128.checked_pow(shift as u32)?)?,
                        other.mant,
                    )
                } else {
                    (
                        self.mant,
                        other
                            .mant
                            .checked_mul(10i128.checked_pow((-shift) as u32)?)?,
                    )
                };
                let q = num / den;
                let r = num % den;
                let q = if (r.abs() * 2) >= den.abs() {
                    q + if (num < 0) != (den < 0) { -1 } else { 1 }
                } else {
                    q
                };
                Some(Decimal { mant: q, exp: -16 })
            }
        }
    }

    /// The nearest float.
    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mant, self.exp).parse().unwrap_or(0.0)
    }
}

/// goutils' `AbbreviateFull` (byte offsets; errors give "").
fn abbreviate_full(b: &[u8], offset: i64, max_width: i64) -> String {
    let text = |x: &[u8]| String::from_utf8_lossy(x).into_owned();
    let len = b.len() as i64;
    if b.is_empty() {
        return String::new();
    }
    if len <= max_width {
        return text(b);
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return format!("{}...", text(&b[..(max_width - 3) as usize]));
    }
    if max_width < 7 {
        return String::new();
    }
    if offset + max_width - 3 < len {
        let inner = abbreviate_full(&b[offset as usize..], 0, max_width - 3);
        return format!("...{inner}");
    }
    format!("...{}", text(&b[(len - (max_width - 3)) as usize..]))
}

/// Helm's Sprig 3.3 `camelcase` (xstrings `ToPascalCase`): words split at
/// `_`, `-` and space are joined with an upper-case first letter; in a word
/// starting with a capital the capitals right after it are lowered.
fn pascal_case(st: &str) -> String {
    if st.is_empty() {
        return String::new();
    }
    let is_conn = |c: char| c == '_' || c == '-' || c == ' ';
    let rs: Vec<char> = st.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < rs.len() && is_conn(rs[i]) {
        out.push(rs[i]);
        i += 1;
    }
    if i == rs.len() {
        if let Some(&last) = rs.last() {
            out.push(last);
        }
        return out;
    }
    let mut prev_conn = true;
    let mut run = false;
    while i < rs.len() {
        let r = rs[i];
        if is_conn(r) {
            if i + 1 < rs.len() && is_conn(rs[i + 1]) || i + 1 == rs.len() {
                out.push(r);
            }
            prev_conn = true;
            i += 1;
            continue;
        }
        let c = if prev_conn {
            run = r.is_uppercase();
            crate::sprig::go_upper(&r.to_string())
        } else if run && r.is_uppercase() {
            crate::sprig::go_lower(&r.to_string())
        } else {
            run = false;
            r.to_string()
        };
        prev_conn = false;
        out.push_str(&c);
        i += 1;
    }
    out
}

/// goutils' `WrapCustom` (byte offsets, as Go's).
fn wrap_custom(st: &str, wrap_length: i64, new_line: &str, wrap_long: bool) -> String {
    if st.is_empty() {
        return String::new();
    }
    let nl = if new_line.is_empty() { "\n" } else { new_line };
    let wl = wrap_length.max(1) as usize;
    let b = st.as_bytes();
    let text = |x: &[u8]| String::from_utf8_lossy(x).into_owned();
    let len = b.len();
    let mut offset = 0usize;
    let mut out = String::new();
    while len - offset > wl {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (wl + offset + 1).min(len);
        match b[offset..end].iter().rposition(|&c| c == b' ') {
            Some(p) => {
                let at = p + offset;
                out.push_str(&text(&b[offset..at]));
                out.push_str(nl);
                offset = at + 1;
            }
            None if wrap_long => {
                out.push_str(&text(&b[offset..offset + wl]));
                out.push_str(nl);
                offset += wl;
            }
            None => {
                let end = wl + offset;
                match b[end..].iter().position(|&c| c == b' ') {
                    None => {
                        out.push_str(&text(&b[offset..]));
                        offset = len;
                    }
                    Some(i) => {
                        let at = i + end;
                        out.push_str(&text(&b[offset..at]));
                        out.push_str(nl);
                        offset = at + 1;
                    }
                }
            }
        }
    }
    out.push_str(&text(&b[offset..]));
    out
}

/// Go's `strings.SplitN`.
fn go_splitn(st: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = st.chars().map(String::from).collect();
        if n < 0 || chars.len() as i64 <= n {
            return chars;
        }
        let k = (n - 1) as usize;
        let mut out: Vec<String> = chars[..k].to_vec();
        out.push(chars[k..].concat());
        return out;
    }
    if n < 0 {
        return st.split(sep).map(String::from).collect();
    }
    st.splitn(n as usize, sep).map(String::from).collect()
}

/// Sprig's `untilStep`.
fn until_step(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            i += step;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        i += step;
    }
    v
}

/// Go's `strconv.ParseInt(s, 8, 64)`.
fn go_parse_int_base8(t: &str) -> Option<i64> {
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || !digits
            .bytes()
            .all(|c| (b'0'..=b'7').contains(&c) || c == b'_')
    {
        return None;
    }
    let v = i64::from_str_radix(digits, 8).ok()?;
    Some(if neg { -v } else { v })
}

/// Go's `Regexp.Split`.
fn regex_split(re: &regex::Regex, expr: &str, st: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !expr.is_empty() && st.is_empty() {
        return vec![String::new()];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for m in re.find_iter(st) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(st[beg..end].to_owned());
        }
        beg = m.end();
    }
    if end != st.len() {
        out.push(st[beg..].to_owned());
    }
    out
}

/// Go's `path.Clean`.
fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `path.Base`.
fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_owned()
}

/// Go's `path.Dir`.
fn path_dir(p: &str) -> String {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    path_clean(&p[..i])
}

/// Go's `path.Ext`.
fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_owned();
        }
    }
    String::new()
}

// ----- snakecase / kebabcase (xstrings v1.5.0) -----

/// The kinds of word xstrings' splitter (`nextWord`) tells apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WordKind {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// Go's `utf8.RuneError`: a valid string holds it only as a literal U+FFFD,
/// which `DecodeRuneInString` reports exactly as it reports a bad byte.
const RUNE_ERROR: char = '\u{FFFD}';

/// Whether `c` is in the Unicode general category that `pat` matches.
fn char_in(re: &'static std::sync::OnceLock<Option<regex::Regex>>, pat: &str, c: char) -> bool {
    let mut buf = [0u8; 4];
    re.get_or_init(|| regex::Regex::new(pat).ok())
        .as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut buf)))
}

/// Go's `unicode.IsUpper` (category Lu).
fn go_is_upper(c: char) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    char_in(&RE, r"^\p{Lu}$", c)
}

/// Go's `unicode.IsLetter` (category L).
fn go_is_letter(c: char) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    char_in(&RE, r"^\p{L}$", c)
}

/// Go's `unicode.IsPunct` (category P).
fn go_is_punct(c: char) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    char_in(&RE, r"^\p{P}$", c)
}

/// Go's `unicode.IsNumber` (categories Nd, Nl, No: as Rust's `is_numeric`).
fn go_is_number(c: char) -> bool {
    c.is_numeric()
}

/// Go's `unicode.ToLower`: the simple (one rune) lower-case mapping.
fn go_to_lower(c: char) -> char {
    if c == '\u{130}' {
        return 'i';
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// xstrings' `isConnector`: `-`, `_` or white space.
fn is_case_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// xstrings' `isAlphabet`: a letter outside the CJK ideograph blocks.
fn is_case_alphabet(c: char) -> bool {
    if !go_is_letter(c) {
        return false;
    }
    !matches!(c,
        '\u{4E00}'..='\u{9FCC}' | '\u{3400}'..='\u{4D85}' | '\u{20000}'..='\u{2B81D}')
}

/// xstrings' `nextValidRune`: the first rune of `s` that is not a
/// `RuneError` (else `prev`) and the bytes up to and including it.
fn next_valid_rune(s: &str, prev: char) -> (char, usize) {
    let mut size = 0;
    for c in s.chars() {
        size += c.len_utf8();
        if c != RUNE_ERROR {
            return (c, size);
        }
    }
    (prev, size)
}

/// xstrings' `nextWord`: the kind of the first word of `st`, the word and
/// what follows it.
fn next_word(st: &str) -> (WordKind, &str, &str) {
    if st.is_empty() {
        return (WordKind::Invalid, "", "");
    }
    let (mut r, mut size) = next_valid_rune(st, RUNE_ERROR);
    let mut offset = size;
    if r == RUNE_ERROR {
        return (WordKind::Invalid, &st[..offset], &st[offset..]);
    }
    let mut rem = st;
    // The loop shared by most kinds: take runes while `keep` holds.
    let run = |rem: &mut &str, offset: &mut usize, r: &mut char, keep: &dyn Fn(char) -> bool| {
        while !rem.is_empty() {
            let (nr, ns) = next_valid_rune(rem, *r);
            *r = nr;
            if !keep(nr) {
                break;
            }
            *offset += ns;
            *rem = &rem[ns..];
        }
    };
    let kind;
    if is_case_connector(r) {
        kind = WordKind::Connector;
        rem = &rem[size..];
        run(&mut rem, &mut offset, &mut r, &is_case_connector);
    } else if go_is_punct(r) {
        kind = WordKind::Punct;
        rem = &rem[size..];
        run(&mut rem, &mut offset, &mut r, &go_is_punct);
    } else if go_is_upper(r) {
        kind = WordKind::Upper;
        rem = &rem[size..];
        if !rem.is_empty() {
            (r, size) = next_valid_rune(rem, r);
            if go_is_upper(r) {
                let mut prev_size = size;
                offset += size;
                rem = &rem[size..];
                while !rem.is_empty() {
                    (r, size) = next_valid_rune(rem, r);
                    if !go_is_upper(r) {
                        break;
                    }
                    prev_size = size;
                    offset += size;
                    rem = &rem[size..];
                }
                // "HTTPStatus": the "S" starts the next word.
                if !rem.is_empty() && is_case_alphabet(r) {
                    offset -= prev_size;
                    rem = &st[offset..];
                }
            } else if is_case_alphabet(r) {
                offset += size;
                rem = &rem[size..];
                run(&mut rem, &mut offset, &mut r, &|c| {
                    is_case_alphabet(c) && !go_is_upper(c)
                });
            }
        }
    } else if is_case_alphabet(r) {
        kind = WordKind::Alphabet;
        rem = &rem[size..];
        run(&mut rem, &mut offset, &mut r, &|c| {
            is_case_alphabet(c) && !go_is_upper(c)
        });
    } else if go_is_number(r) {
        kind = WordKind::Number;
        rem = &rem[size..];
        run(&mut rem, &mut offset, &mut r, &go_is_number);
    } else {
        kind = WordKind::Other;
        rem = &rem[size..];
        run(&mut rem, &mut offset, &mut r, &|c| {
            !(is_case_connector(c) || is_case_alphabet(c) || go_is_number(c) || go_is_punct(c))
        });
    }
    (kind, &st[..offset], rem)
}

/// xstrings' `toLower`: upper-case and connector words are lowered (with
/// every connector made `conn`); other words are copied.
fn case_word_lower(out: &mut String, kind: WordKind, word: &str, conn: char) {
    if kind != WordKind::Upper && kind != WordKind::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        out.push(if is_case_connector(c) {
            conn
        } else if go_is_upper(c) {
            go_to_lower(c)
        } else {
            c
        });
    }
}

/// xstrings' `camelCaseToLowerCase` (`ToSnakeCase` with `_`, `ToKebabCase`
/// with `-`).
fn camel_to_lower(st: &str, conn: char) -> String {
    use WordKind as W;
    if st.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(st.len() + 8);
    let (mut wt, mut word, mut rem) = next_word(st);
    while !rem.is_empty() {
        if wt != W::Connector {
            case_word_lower(&mut out, wt, word, conn);
        }
        let (prev, last) = (wt, word);
        (wt, word, rem) = next_word(rem);
        match prev {
            W::Number => {
                while wt == W::Alphabet || wt == W::Number {
                    case_word_lower(&mut out, wt, word, conn);
                    (wt, word, rem) = next_word(rem);
                }
                if !matches!(wt, W::Invalid | W::Punct | W::Connector) {
                    out.push(conn);
                }
            }
            W::Connector => case_word_lower(&mut out, prev, last, conn),
            W::Punct => {}
            _ => {
                if wt != W::Number {
                    if wt != W::Connector && wt != W::Punct {
                        out.push(conn);
                    }
                    continue;
                }
                if rem.is_empty() {
                    continue;
                }
                let num = word;
                (wt, word, rem) = next_word(rem);
                // A number between a word and a non-letter belongs to the
                // word: "Bld4Floor" => "bld4_floor".
                if wt != W::Alphabet {
                    case_word_lower(&mut out, W::Number, num, conn);
                    if wt != W::Connector && wt != W::Punct {
                        out.push(conn);
                    }
                    continue;
                }
                // Lower-case letters after the number: "HTTP2xx" => "http_2xx".
                out.push(conn);
                case_word_lower(&mut out, W::Number, num, conn);
                while wt == W::Alphabet || wt == W::Number {
                    case_word_lower(&mut out, wt, word, conn);
                    (wt, word, rem) = next_word(rem);
                }
                if !matches!(wt, W::Invalid | W::Connector | W::Punct) {
                    out.push(conn);
                }
            }
        }
    }
    case_word_lower(&mut out, wt, word, conn);
    out
}

// ----- urlParse / urlJoin (Go 1.26 net/url) -----

/// Go's `url.Userinfo`.
#[derive(Debug, Clone, Default)]
struct UrlUser {
    username: Vec<u8>,
    password: Option<Vec<u8>>,
}

impl UrlUser {
    /// `Userinfo.String`.
    fn encoded(&self) -> String {
        let mut out = url_escape(&self.username, UrlMode::UserPassword);
        if let Some(p) = &self.password {
            out.push(':');
            out.push_str(&url_escape(p, UrlMode::UserPassword));
        }
        out
    }
}

/// The fields of Go's `url.URL` that Sprig reads or sets (strings as bytes:
/// unescaping may yield any byte).
#[derive(Debug, Clone, Default)]
struct GoUrl {
    scheme: Vec<u8>,
    opaque: Vec<u8>,
    user: Option<UrlUser>,
    host: Vec<u8>,
    path: Vec<u8>,
    force_query: bool,
    raw_query: Vec<u8>,
    fragment: Vec<u8>,
}

/// net/url's encoding modes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UrlMode {
    Path,
    Host,
    Zone,
    UserPassword,
    QueryComponent,
    Fragment,
}

/// net/url's `shouldEscape`.
fn url_should_escape(c: u8, mode: UrlMode) -> bool {
    use UrlMode as M;
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, M::Host | M::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            M::Path => return c == b'?',
            M::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            M::QueryComponent => return true,
            M::Fragment => return false,
            M::Host | M::Zone => {}
        },
        _ => {}
    }
    if mode == M::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

/// net/url's `escape`.
fn url_escape(s: &[u8], mode: UrlMode) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if c == b' ' && mode == UrlMode::QueryComponent {
            out.push(b'+');
        } else if url_should_escape(c, mode) {
            out.extend_from_slice(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        } else {
            out.push(c);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Bytes as a string, each byte of an invalid sequence made U+FFFD (as Go's
/// `range` and `encoding/json` read them).
fn lossy_per_byte(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push(RUNE_ERROR);
        }
    }
    out
}

/// Go's `strconv.Quote` of bytes that may not be valid UTF-8.
fn quote_go_bytes(b: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in b.utf8_chunks() {
        let q = crate::fmt::quote(chunk.valid());
        out.push_str(&q[1..q.len() - 1]);
        for x in chunk.invalid() {
            out.push_str(&format!("\\x{x:02x}"));
        }
    }
    out.push('"');
    out
}

fn url_unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// net/url's `unescape`, with its error texts.
fn url_unescape(s: &[u8], mode: UrlMode) -> Result<Vec<u8>, String> {
    use UrlMode as M;
    let escape_err = |e: &[u8]| format!("invalid URL escape {}", quote_go_bytes(e));
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                if i + 2 >= s.len()
                    || !s[i + 1].is_ascii_hexdigit()
                    || !s[i + 2].is_ascii_hexdigit()
                {
                    let end = (i + 3).min(s.len());
                    return Err(escape_err(&s[i..end]));
                }
                let esc = &s[i..i + 3];
                if mode == M::Host && url_unhex(s[i + 1]) < 8 && esc != b"%25" {
                    return Err(escape_err(esc));
                }
                if mode == M::Zone {
                    let v = url_unhex(s[i + 1]) << 4 | url_unhex(s[i + 2]);
                    if esc != b"%25" && v != b' ' && url_should_escape(v, M::Host) {
                        return Err(escape_err(esc));
                    }
                }
                i += 3;
            }
            c => {
                if matches!(mode, M::Host | M::Zone) && c < 0x80 && url_should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        quote_go_bytes(&[c])
                    ));
                }
                i += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                out.push(url_unhex(s[i + 1]) << 4 | url_unhex(s[i + 2]));
                i += 3;
            }
            b'+' if mode == M::QueryComponent => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// net/url's `validOptionalPort`: empty or `:` and digits.
fn url_valid_port(p: &[u8]) -> bool {
    match p.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

fn find_byte(s: &[u8], b: u8) -> Option<usize> {
    s.iter().position(|&x| x == b)
}

fn rfind_byte(s: &[u8], b: u8) -> Option<usize> {
    s.iter().rposition(|&x| x == b)
}

fn find_sub(s: &[u8], sub: &[u8]) -> Option<usize> {
    s.windows(sub.len()).position(|w| w == sub)
}

/// `url.URL.Hostname`: the host without a valid port and brackets.
fn url_hostname(host: &[u8]) -> &[u8] {
    let mut h = host;
    if let Some(c) = rfind_byte(h, b':')
        && url_valid_port(&h[c..])
    {
        h = &h[..c];
    }
    if h.len() >= 2 && h[0] == b'[' && h[h.len() - 1] == b']' {
        h = &h[1..h.len() - 1];
    }
    h
}

impl GoUrl {
    /// `url.Parse`, with its error text (`parse "…": …`).
    fn parse(raw: &str) -> Result<GoUrl, String> {
        let (u, frag) = match raw.find('#') {
            Some(i) => (&raw[..i], &raw[i + 1..]),
            None => (raw, ""),
        };
        let mut url =
            Self::parse_no_frag(u).map_err(|e| format!("parse {}: {e}", crate::fmt::quote(u)))?;
        if !frag.is_empty() {
            url.fragment = url_unescape(frag.as_bytes(), UrlMode::Fragment)
                .map_err(|e| format!("parse {}: {e}", crate::fmt::quote(raw)))?;
        }
        Ok(url)
    }

    /// net/url's `parse` (not via a request).
    fn parse_no_frag(raw: &str) -> Result<GoUrl, String> {
        let mut url = GoUrl::default();
        if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
            return Err("net/url: invalid control character in URL".into());
        }
        if raw == "*" {
            url.path = b"*".to_vec();
            return Ok(url);
        }
        // getScheme: [a-zA-Z][a-zA-Z0-9+.-]* then ':'.
        let mut rest = raw;
        for (i, c) in raw.bytes().enumerate() {
            match c {
                b'a'..=b'z' | b'A'..=b'Z' => {}
                b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
                b':' if i == 0 => return Err("missing protocol scheme".into()),
                b':' => {
                    url.scheme = raw[..i].to_ascii_lowercase().into_bytes();
                    rest = &raw[i + 1..];
                    break;
                }
                _ => break,
            }
        }
        if rest.ends_with('?') && rest.matches('?').count() == 1 {
            url.force_query = true;
            rest = &rest[..rest.len() - 1];
        } else if let Some(i) = rest.find('?') {
            url.raw_query = rest.as_bytes()[i + 1..].to_vec();
            rest = &rest[..i];
        }
        if !rest.starts_with('/') {
            if !url.scheme.is_empty() {
                url.opaque = rest.as_bytes().to_vec();
                return Ok(url);
            }
            if rest.split('/').next().is_some_and(|seg| seg.contains(':')) {
                return Err("first path segment in URL cannot contain colon".into());
            }
        }
        if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let (authority, tail) = match rest[2..].find('/') {
                Some(i) => (&rest[2..2 + i], &rest[2 + i..]),
                None => (&rest[2..], ""),
            };
            let (user, host) = url_parse_authority(&url.scheme, authority)?;
            url.user = user;
            url.host = host;
            rest = tail;
        }
        url.path = url_unescape(rest.as_bytes(), UrlMode::Path)?;
        Ok(url)
    }

    /// `url.URL.String` (no `RawPath`, `RawFragment` or `OmitHost`: Sprig's
    /// `urlJoin` sets none of them).
    fn to_go_string(&self) -> String {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&String::from_utf8_lossy(&self.scheme));
            out.push(':');
        }
        if !self.opaque.is_empty() {
            out.push_str(&String::from_utf8_lossy(&self.opaque));
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    out.push_str("//");
                }
                if let Some(u) = &self.user {
                    out.push_str(&u.encoded());
                    out.push('@');
                }
                if !self.host.is_empty() {
                    out.push_str(&url_escape(&self.host, UrlMode::Host));
                }
            }
            let path = if self.path == b"*" {
                "*".to_string()
            } else {
                url_escape(&self.path, UrlMode::Path)
            };
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                out.push('/');
            }
            if out.is_empty() && path.split('/').next().is_some_and(|seg| seg.contains(':')) {
                out.push_str("./");
            }
            out.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            out.push('?');
            out.push_str(&String::from_utf8_lossy(&self.raw_query));
        }
        if !self.fragment.is_empty() {
            out.push('#');
            out.push_str(&url_escape(&self.fragment, UrlMode::Fragment));
        }
        out
    }
}

/// net/url's `parseAuthority`: the user information and the host.
fn url_parse_authority(
    scheme: &[u8],
    authority: &str,
) -> Result<(Option<UrlUser>, Vec<u8>), String> {
    let at = authority.rfind('@');
    let host = url_parse_host(scheme, &authority[at.map_or(0, |i| i + 1)..])?;
    let Some(at) = at else {
        return Ok((None, host));
    };
    let info = &authority[..at];
    let valid = info.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    });
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    let user = match info.split_once(':') {
        None => UrlUser {
            username: url_unescape(info.as_bytes(), UrlMode::UserPassword)?,
            password: None,
        },
        Some((name, pass)) => UrlUser {
            username: url_unescape(name.as_bytes(), UrlMode::UserPassword)?,
            password: Some(url_unescape(pass.as_bytes(), UrlMode::UserPassword)?),
        },
    };
    Ok((Some(user), host))
}

/// net/url's `parseHost` (Go 1.26: colons are strict for http and https).
fn url_parse_host(scheme: &[u8], host: &str) -> Result<Vec<u8>, String> {
    let hb = host.as_bytes();
    match rfind_byte(hb, b'[') {
        Some(open) if open > 0 => Err("invalid IP-literal".into()),
        Some(_) => {
            let Some(close) = rfind_byte(hb, b']') else {
                return Err("missing ']' in host".into());
            };
            let colon_port = &hb[close + 1..];
            if !url_valid_port(colon_port) {
                return Err(format!(
                    "invalid port {} after host",
                    quote_go_bytes(colon_port)
                ));
            }
            let port = url_unescape(colon_port, UrlMode::Host)?;
            let name = &hb[1..close.max(1)];
            let mut unescaped = match find_sub(name, b"%25") {
                Some(z) => {
                    let mut h = url_unescape(&name[..z], UrlMode::Host)?;
                    h.extend(url_unescape(&name[z..], UrlMode::Zone)?);
                    h
                }
                None => url_unescape(name, UrlMode::Host)?,
            };
            // Only an IPv6 address may be in brackets.
            if netip_parse_addr(&unescaped).map_err(|e| format!("invalid host: {e}"))? {
                return Err("invalid IP-literal".into());
            }
            let mut out = vec![b'['];
            out.append(&mut unescaped);
            out.push(b']');
            out.extend(port);
            Ok(out)
        }
        None => {
            if let Some(mut i) = find_byte(hb, b':') {
                let last = rfind_byte(hb, b':').unwrap_or(i);
                if last != i && scheme != b"http" && scheme != b"https" {
                    i = last;
                }
                if !url_valid_port(&hb[i..]) {
                    return Err(format!(
                        "invalid port {} after host",
                        quote_go_bytes(&hb[i..])
                    ));
                }
            }
            url_unescape(hb, UrlMode::Host)
        }
    }
}

/// Go's `netip.ParseAddr`, for its errors: `Ok(true)` for an IPv4 address,
/// `Ok(false)` for an IPv6 one.
fn netip_parse_addr(s: &[u8]) -> Result<bool, String> {
    let err = |msg: &str, at: Option<&[u8]>| match at {
        Some(at) if !at.is_empty() => format!(
            "ParseAddr({}): {msg} (at {})",
            quote_go_bytes(s),
            quote_go_bytes(at)
        ),
        _ => format!("ParseAddr({}): {msg}", quote_go_bytes(s)),
    };
    for &c in s {
        match c {
            b'.' => {
                return ipv4_fields(s, s)
                    .map(|_| true)
                    .map_err(|(m, at)| err(&m, at));
            }
            b':' => return parse_ipv6(s).map(|_| false).map_err(|(m, at)| err(&m, at)),
            b'%' => return Err(err("missing IPv6 address", None)),
            _ => {}
        }
    }
    Err(err("unable to parse IP", None))
}

type AddrErr<'a> = (String, Option<&'a [u8]>);

/// netip's `parseIPv4Fields` over `part` (a tail of `_whole`).
fn ipv4_fields<'a>(_whole: &[u8], part: &'a [u8]) -> Result<(), AddrErr<'a>> {
    let (mut val, mut pos, mut dig_len) = (0u32, 0, 0);
    for (i, &c) in part.iter().enumerate() {
        if c.is_ascii_digit() {
            if dig_len == 1 && val == 0 {
                return Err(("IPv4 field has octet with leading zero".into(), None));
            }
            val = val * 10 + u32::from(c - b'0');
            dig_len += 1;
            if val > 255 {
                return Err(("IPv4 field has value >255".into(), None));
            }
        } else if c == b'.' {
            if i == 0 || i == part.len() - 1 || part[i - 1] == b'.' {
                return Err((
                    "IPv4 field must have at least one digit".into(),
                    Some(&part[i..]),
                ));
            }
            if pos == 3 {
                return Err(("IPv4 address too long".into(), None));
            }
            pos += 1;
            val = 0;
            dig_len = 0;
        } else {
            return Err(("unexpected character".into(), Some(&part[i..])));
        }
    }
    if pos < 3 {
        return Err(("IPv4 address too short".into(), None));
    }
    Ok(())
}

/// netip's `parseIPv6`, for its errors.
fn parse_ipv6(input: &[u8]) -> Result<(), AddrErr<'_>> {
    let mut s = input;
    let mut zone_len = None;
    if let Some(i) = find_byte(s, b'%') {
        if i + 1 == s.len() {
            return Err(("zone must be a non-empty string".into(), None));
        }
        zone_len = Some(s.len() - i - 1);
        s = &s[..i];
    }
    let mut ellipsis: Option<usize> = None;
    if s.len() >= 2 && s[0] == b':' && s[1] == b':' {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok(());
        }
    }
    let mut i: usize = 0;
    while i < 16 {
        let mut off = 0;
        let mut acc = 0u32;
        while off < s.len() {
            let c = s[off];
            if !c.is_ascii_hexdigit() {
                break;
            }
            acc = (acc << 4) + u32::from(url_unhex(c));
            if off > 3 {
                return Err(("each group must have 4 or less digits".into(), Some(s)));
            }
            if acc > 0xFFFF {
                return Err(("IPv6 field has value >=2^16".into(), Some(s)));
            }
            off += 1;
        }
        if off == 0 {
            return Err((
                "each colon-separated field must have at least one digit".into(),
                Some(s),
            ));
        }
        if off < s.len() && s[off] == b'.' {
            if ellipsis.is_none() && i != 12 {
                return Err((
                    "embedded IPv4 address must replace the final 2 fields of the address".into(),
                    Some(s),
                ));
            }
            if i + 4 > 16 {
                return Err((
                    "too many hex fields to fit an embedded IPv4 at the end of the address".into(),
                    Some(s),
                ));
            }
            let end = input.len() - zone_len.map_or(0, |z| z + 1);
            ipv4_fields(input, &input[end - s.len()..end])?;
            s = &[];
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if s[0] != b':' {
            return Err(("unexpected character, want colon".into(), Some(s)));
        } else if s.len() == 1 {
            return Err(("colon must be followed by more characters".into(), Some(s)));
        }
        s = &s[1..];
        if s[0] == b':' {
            if ellipsis.is_some() {
                return Err(("multiple :: in address".into(), Some(s)));
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(("trailing garbage after address".into(), Some(s)));
    }
    if i < 16 {
        if ellipsis.is_none() {
            return Err(("address string too short".into(), None));
        }
    } else if ellipsis.is_some() {
        return Err((
            "the :: must expand to at least one field of zeros".into(),
            Some(s),
        ));
    }
    Ok(())
}

/// Sprig's `dictGetOrEmpty`: a string entry, `""` when missing, a panic's
/// text for another type.
fn url_dict_get(d: &crate::value::Map, key: &str) -> Result<String, FuncError> {
    let Some(v) = d.get(key) else {
        return Ok(String::new());
    };
    if let Value::Nil = v {
        return Err(runtime("invalid memory address or nil pointer dereference"));
    }
    let kind = v.kind_name();
    if kind != "string" {
        return Err(FuncError::new(format!(
            "unable to parse {key} key, must be of type string, but {kind} found"
        )));
    }
    Ok(match (&v, v.as_str()) {
        (_, Some(t)) => t.to_owned(),
        (Value::Object(o), None) => o
            .underlying()
            .and_then(|u| u.as_str().map(str::to_owned))
            .unwrap_or_default(),
        _ => String::new(),
    })
}

/// Sprig's `urlJoin`: a URL from `urlParse`'s keys, as `url.URL.String`.
fn url_join(d: &crate::value::Map) -> Result<Value, FuncError> {
    let mut u = GoUrl {
        scheme: url_dict_get(d, "scheme")?.into_bytes(),
        host: url_dict_get(d, "host")?.into_bytes(),
        path: url_dict_get(d, "path")?.into_bytes(),
        raw_query: url_dict_get(d, "query")?.into_bytes(),
        opaque: url_dict_get(d, "opaque")?.into_bytes(),
        fragment: url_dict_get(d, "fragment")?.into_bytes(),
        ..GoUrl::default()
    };
    let info = url_dict_get(d, "userinfo")?;
    if !info.is_empty() {
        let t = GoUrl::parse(&format!("proto://{info}@host"))
            .map_err(|e| FuncError::new(format!("unable to parse userinfo in dict: {e}")))?;
        u.user = t.user;
    }
    Ok(s(u.to_go_string()))
}
