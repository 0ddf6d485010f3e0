#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/auth_fuzz.cc (fuzz/corpus/auth/) and, when they are missing,
the fixed test keys it verifies against (fuzz/keys/: rsa-1.pem, ec-1.pem and their public
halves as jwks.json). The keys are for the fuzz target only; nothing else trusts them.

The seeds are of the three input forms auth_fuzz reads (see its header comment):
  token-*   a compact JWS, verified as it is: well-formed and signed by a key of the JWKS, and
            malformed (bad base64url, wrong number of parts, alg none or HS256, unknown kid,
            signature of another token, expired, not yet valid, wrong issuer or audience...);
  claims-*  "header JSON\\nclaims JSON", which the target signs with the key the header's alg
            names before verifying, so that the claim checks are reached;
  jwks-*    a JWKS document (starts with '{'), loaded as the verifier's key file.

Needs python3-cryptography. Run from anywhere: python3 fuzz/make_auth_seeds.py
"""
import base64
import json
import os
import pathlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

FUZZ = pathlib.Path(__file__).resolve().parent
KEYS = FUZZ / "keys"
CORPUS = FUZZ / "corpus" / "auth"

FUTURE = 4102444800  # 2100-01-01
PAST = 946684800  # 2000-01-01
ISSUER = "https://auth.example.org"
AUDIENCE = "https://trials.example.org/fhir"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64int(n: int) -> str:
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def load_or_make(name, make):
    path = KEYS / name
    if not path.exists():
        key = make()
        path.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def jwk(key, kid):
    pub = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64int(pub.n),
                "e": b64int(pub.e)}
    return {"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
            "x": b64(pub.x.to_bytes(32, "big")), "y": b64(pub.y.to_bytes(32, "big"))}


def sign(key, header, claims):
    text = lambda v: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    signing_input = (b64(text(header).encode()) + "." + b64(text(claims).encode())).encode()
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return signing_input.decode() + "." + b64(sig)


def claims(scope="system/*.rs", exp=FUTURE, **extra):
    c = {"iss": ISSUER, "sub": "client-1", "aud": AUDIENCE, "exp": exp, "iat": PAST,
         "jti": "seed", "scope": scope}
    c.update(extra)
    return c


def main():
    KEYS.mkdir(exist_ok=True)
    CORPUS.mkdir(parents=True, exist_ok=True)
    rsa_key = load_or_make("rsa-1.pem", lambda: rsa.generate_private_key(65537, 2048))
    ec_key = load_or_make("ec-1.pem", lambda: ec.generate_private_key(ec.SECP256R1()))
    jwks = {"keys": [jwk(rsa_key, "rsa-1"), jwk(ec_key, "ec-1")]}
    (KEYS / "jwks.json").write_text(json.dumps(jwks, indent=2) + "\n")

    rs = {"alg": "RS256", "typ": "JWT", "kid": "rsa-1"}
    es = {"alg": "ES256", "typ": "JWT", "kid": "ec-1"}
    good_rs = sign(rsa_key, rs, claims())
    good_es = sign(ec_key, es, claims("system/Observation.cru system/Patient.read"))
    head, body, sig = good_rs.split(".")
    seeds = {
        # Compact tokens, verified as they are.
        "token-rs256-good": good_rs,
        "token-es256-good": good_es,
        "token-es256-scp-array": sign(ec_key, es, claims(scope="", scp=["system/*.cruds"])),
        "token-rs256-no-kid": sign(rsa_key, {"alg": "RS256"}, claims("system/*.*")),
        "token-rs256-expired": sign(rsa_key, rs, claims(exp=PAST)),
        "token-rs256-not-yet": sign(rsa_key, rs, claims(nbf=FUTURE - 1)),
        "token-rs256-aud-array": sign(rsa_key, rs, claims(aud=["x", AUDIENCE])),
        "token-rs256-exp-double": sign(rsa_key, rs, claims(exp=4102444800.5)),
        "token-rs256-unknown-kid": sign(rsa_key, dict(rs, kid="rsa-9"), claims()),
        "token-es256-with-rsa-kid": sign(ec_key, dict(es, kid="rsa-1"), claims()),
        "token-tampered-claims": head + "." + b64(json.dumps(claims("system/*.*")).encode()) +
                                 "." + sig,
        "token-padded": good_es + "==",
        "token-alg-none": b64(b'{"alg":"none"}') + "." + body + ".",
        "token-alg-hs256": b64(b'{"alg":"HS256","typ":"JWT"}') + "." + body + "." + sig[:43],
        "token-two-parts": head + "." + body,
        "token-four-parts": good_rs + ".x",
        "token-not-base64": "eyJ!!!." + body + "." + sig,
        "token-header-not-json": b64(b"RS256") + "." + body + "." + sig,
        "token-claims-array": head + "." + b64(b"[1,2]") + "." + sig,
        "token-es256-short-signature": good_es[: good_es.rindex(".") + 40],
        "token-empty": "",
        "token-dots": "..",
        # Header and claims, signed by the target.
        "claims-rs256": json.dumps(rs) + "\n" + json.dumps(claims()),
        "claims-es256": json.dumps(es) + "\n" + json.dumps(claims("system/Observation.rs")),
        "claims-no-exp": json.dumps(rs) + "\n" + json.dumps({"sub": "a", "scope": "system/*.rs"}),
        "claims-exp-huge": json.dumps(rs) + "\n" + '{"exp":9223372036854775807,"sub":"a"}',
        "claims-exp-float": json.dumps(es) + "\n" + '{"exp":1e300,"sub":"a"}',
        "claims-nbf-min": json.dumps(es) + "\n" + '{"exp":4102444800,"nbf":-9223372036854775808}',
        "claims-wrong-issuer": json.dumps(rs) + "\n" + json.dumps(claims(iss="https://evil")),
        "claims-wrong-audience": json.dumps(rs) + "\n" + json.dumps(claims(aud=["a", "b"])),
        "claims-scopes": json.dumps(rs) + "\n" + json.dumps(claims(
            "openid system/Observation.crus system/Patient.rs?identifier=x system/*.write "
            "system/.r system/Encounter.sc user/*.* patient/Observation.read system/*.*")),
        "claims-client-id": json.dumps(es) + "\n" + json.dumps(claims(client_id="app-7")),
        "claims-broken-json": '{"alg":"RS256"\n{"exp":',
        # Key sets.
        "jwks-fixed": json.dumps(jwks),
        "jwks-rsa-only": json.dumps({"keys": [jwk(rsa_key, "rsa-1")]}),
        "jwks-other-keys": json.dumps({"keys": [
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
            dict(jwk(ec_key, "ec-1"), alg="RS256")]}),
        "jwks-bad-rsa": '{"keys":[{"kty":"RSA","n":"AQAB","e":"!!"}]}',
        "jwks-bad-ec-point": json.dumps({"keys": [dict(jwk(ec_key, "ec-1"), x=b64(bytes(32)))]}),
        "jwks-empty": '{"keys":[]}',
        "jwks-not-jwks": '{"kty":"RSA"}',
    }
    for old in CORPUS.iterdir():
        old.unlink()
    for name, text in seeds.items():
        (CORPUS / name).write_text(text)
    print(f"{len(seeds)} seeds in {CORPUS}, keys in {KEYS}")


if __name__ == "__main__":
    main()
