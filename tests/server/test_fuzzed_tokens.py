#!/usr/bin/env python3
"""Sign-in inputs that crashed the server before (found by tests/fuzz/fuzz_jwt, kept in
tests/fuzz/regressions/jwt), end to end through kore: each is refused or accepted cleanly
and no worker dies (the harness checks the server log at the end)."""
import os

from harness import SOURCE_DIR, ServerTestCase, jwk_of, main, sign


def regression(name):
    """A fuzz regression input without its mode byte."""
    with open(os.path.join(SOURCE_DIR, "tests", "fuzz", "regressions", "jwt", name), "rb") as f:
        return f.read()[1:].decode()


class FuzzedTokens(ServerTestCase):
    DB_PREFIX = "server_fuzzed_tokens"

    def assert_signed_in(self):
        code, _, data = self.call("GET", "/api/v1/me", token=self.token())
        self.assertEqual(code, 200, data)

    def test_padding_inside_a_token_part_is_401(self):
        error = self.assertError(self.call("GET", "/api/v1/me",
                                           token=regression("crash-cjose-assert-padding-in-signature")), 401)
        self.assertIn("compact JWS", error["message"])
        good = self.token().split(".")
        padded = ".".join(good[:2] + [good[2][:10] + "=" + good[2][10:]])
        self.assertError(self.call("GET", "/api/v1/me", token=padded), 401)
        self.assert_signed_in()

    def test_jwks_key_with_padding_inside_is_skipped(self):
        bad = {"kty": "RSA", "kid": "encQAB", "e": "AQABT=VlIKa6", "x": "AA"}
        self.stub.serve([jwk_of(self.key_a, "kA"), bad])
        try:
            # An unknown kid makes the worker refetch the JWKS, with the malformed key in it.
            error = self.assertError(self.call("GET", "/api/v1/me",
                                               token=sign(self.claims(), self.key_b, "kZ")), 401)
            self.assertIn("unknown key", error["message"])
            self.assert_signed_in()
        finally:
            self.stub.serve([jwk_of(self.key_a, "kA")])

    def test_exp_beyond_int64_is_accepted(self):
        code, _, data = self.call("GET", "/api/v1/me", token=self.token(exp=4.1e28))
        self.assertEqual(code, 200, data)
        # Twice: the second answer comes from the token cache, which keeps it until its exp.
        code, _, data = self.call("GET", "/api/v1/me", token=self.token(exp=4.1e28))
        self.assertEqual(code, 200, data)


if __name__ == "__main__":
    main()
