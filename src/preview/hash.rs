//! The hash behind kube-proxy's and kube-router's chain and set names:
//! the first 16 characters of `base32(sha256(s))` (RFC 4648 alphabet, upper case).

use sha2::{Digest, Sha256};

/// `prefix` + `base32.StdEncoding.EncodeToString(sha256.Sum256(s))[:16]`, where `s` is
/// the parts joined: how every chain and set name is made. The parts are hashed as they
/// are, not joined first, and only the ten bytes that the sixteen characters encode are
/// encoded (base32 turns each five bytes into eight characters, so they are the first
/// sixteen of the whole digest's encoding).
pub fn named(prefix: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut name = String::with_capacity(prefix.len() + 16);
    name.push_str(prefix);
    data_encoding::BASE32.encode_append(&digest[..10], &mut name);
    name
}

#[cfg(test)]
mod tests {
    use super::named;

    /// Vectors of the reference (§1.2, §6.2, TC1), recomputed from upstream tests and
    /// real nodes.
    #[test]
    fn upstream_vectors() {
        let vectors = [
            ("ns1/svc1:p80tcp", "XPGD46QRK7WJZT7O"),
            ("ns2/svc2:p80tcp", "GNZBNJ2PO5MGZ6GT"),
            ("ns1/svc1tcp", "AQI2S6QIMU7PVVRP"),
            ("default/kubernetes:httpstcp", "NPX46M4PTMTKRN6Y"),
            ("kube-system/kube-dns:dnsudp", "TCOU7JCQXEZGVUNU"),
            ("kube-system/kube-dns:dns-tcptcp", "ERIFXISQEP7F7OF4"),
            ("kube-system/kube-dns:metricstcp", "JD5MR3NA4I4DYORP"),
            ("default/nginxtcp", "2CMXP7HKUVJN7L6M"),
            ("ns1/svc1:p80tcp10.180.0.1:80", "SXIVWICOYRO3J4NJ"),
            ("ns4/svc4:p80tcp10.180.0.5:80", "C6EBXVWJJZMIWKLZ"),
            ("default/web-servicetcp10.244.1.10:80", "LJSFUGXYHK6BOCVT"),
            ("default/web:httptcp", "CDGGSHYLG3RE2FKL"),
            ("default/web:httptcp10.244.1.10:8080", "GWQABTP5GBYXHJY5"),
            ("default/web:httptcp10.244.1.9:8080", "2Z4PPZBSTLK4A5ZT"),
            ("default/web:httptcp10.244.2.3:8080", "VQGOCFX4X6FWJPNR"),
            ("default/v6svc:httptcp[fd00:10::5]:8080", "HXAIK2G7NPFKH6KO"),
            ("kube-system/kube-dnsudp", "GTAKZ6FHUTF7RBRM"),
            // kube-router (§6.2, TC10)
            ("nsAsimple-egress1IPv4", "C23KD7UE4TAT3Y5M"),
            ("defaultallow-frontendIPv4", "OZJU3H4AH5AOE3OW"),
            ("defaultallow-frontend1IPv4", "ZYILT46TV6UI3I25"),
            ("defaultbackend-01", "YF6NRJLND4EENOSE"),
        ];
        for (input, expected) in vectors {
            assert_eq!(named("", &[input]), expected, "hash of {input:?}");
            // The same name from the input in parts, at every split, behind a prefix.
            for split in (0..=input.len()).filter(|&i| input.is_char_boundary(i)) {
                let (head, tail) = input.split_at(split);
                assert_eq!(
                    named("KUBE-X-", &[head, tail]),
                    format!("KUBE-X-{expected}")
                );
            }
        }
    }
}
