//! Twilio request signatures (`X-Twilio-Signature`): base64 of HMAC-SHA1 over the full
//! URL the provider requested, followed by every POST parameter name and value, sorted
//! by name. The WebSocket upgrade is signed over its URL alone.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const HEADER: &str = "x-twilio-signature";

fn mac(token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Case-sensitive byte order by name, as the provider sorts; values keep their order.
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The signature a provider sends for this request.
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    BASE64.encode(mac(token, url, params).finalize().into_bytes())
}

/// Checks a signature in constant time; anything that is not valid base64 of the right
/// MAC is simply invalid.
pub fn verify(token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    match BASE64.decode(signature.trim()) {
        Ok(bytes) => mac(token, url, params).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// The documented example request; the expected value was computed independently
    /// with Python's hmac module.
    #[test]
    fn documented_example() {
        let token = "12345";
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(sign(token, url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify(token, url, &params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    }

    #[test]
    fn any_change_invalidates() {
        let params = p(&[("CallSid", "CA1"), ("From", "+4923155512345")]);
        let sig = sign("secret", "https://h/twilio/voice", &params);
        assert!(verify("secret", "https://h/twilio/voice", &params, &sig));
        assert!(!verify("other", "https://h/twilio/voice", &params, &sig));
        assert!(!verify("secret", "https://h/twilio/voice?x=1", &params, &sig));
        assert!(!verify("secret", "https://h/twilio/voice", &p(&[("CallSid", "CA1"), ("From", "+4923155512346")]), &sig));
        assert!(!verify("secret", "https://h/twilio/voice", &params, "not base64!"));
        assert!(!verify("secret", "https://h/twilio/voice", &params, ""));
        // Parameter order on the wire does not matter.
        let reordered = p(&[("From", "+4923155512345"), ("CallSid", "CA1")]);
        assert!(verify("secret", "https://h/twilio/voice", &reordered, &sig));
    }
}
