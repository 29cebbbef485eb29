#!/usr/bin/env python3
"""REST server: GET /metrics beyond the latest status (docs/server.md, "Metrics").

Checks counted by status, the phase timings of the latest check, and the
request duration histogram summed over two workers. The checked endpoint is
the server's own /health (no other target needed).
"""
import http.client
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class MetricsTest(harness.ServerTestCase):
    DB_PREFIX = "server_metrics"

    @classmethod
    def server_env(cls):
        return {"MONITORAGE_WORKERS": "2"}

    def scrape(self):
        code, headers, text = self.call("GET", "/metrics", headers={"Authorization": "Bearer " + harness.METRICS_TOKEN})
        self.assertEqual(code, 200, text)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        return text.decode()

    def value(self, text, series):
        m = re.search("^" + re.escape(series) + r" (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def test_checks_total_by_status_and_latest_phases(self):
        before = self.value(self.scrape(), 'monitorage_checks_total{status="UP"}') or 0
        ep = self.create(url="http://127.0.0.1:%d/health" % self.server.port)
        down = self.create(url="http://127.0.0.1:9/closed", retries=0)
        for target in (ep, ep, down):
            code, _, data = self.call("POST", "/api/v1/endpoints/%s/check" % target["id"], token=self.token())
            self.assertEqual(code, 200, data)
        text = self.scrape()
        self.assertEqual(self.value(text, 'monitorage_checks_total{status="UP"}'), before + 2)
        self.assertGreaterEqual(self.value(text, 'monitorage_checks_total{status="DOWN"}'), 1)
        self.assertIn("# TYPE monitorage_checks_total counter", text)
        labels = 'id="%s",name="%s",type="APIM"' % (ep["id"], ep["name"])
        for phase in ("connect", "ttfb", "total"):
            v = self.value(text, "monitorage_endpoint_phase_seconds{%s,phase=\"%s\"}" % (labels, phase))
            self.assertIsNotNone(v, phase)
            self.assertGreaterEqual(v, 0)
        # Plain HTTP: no TLS phase.
        self.assertIsNone(self.value(text, "monitorage_endpoint_phase_seconds{%s,phase=\"tls\"}" % labels))

    def test_request_histogram_sums_every_worker(self):
        series = 'monitorage_http_request_duration_seconds_count{handler="health",code="2xx"}'
        before = self.value(self.scrape(), series) or 0
        for _ in range(40):  # a new connection each: both workers answer some
            c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
            c.request("GET", "/health")
            self.assertEqual(c.getresponse().status, 200)
            c.close()
        text = self.scrape()
        self.assertEqual(self.value(text, series), before + 40)
        buckets = [float(v) for v in re.findall(
            r'^monitorage_http_request_duration_seconds_bucket\{handler="health",code="2xx",le="[^"]+"\} (\S+)$',
            text, re.M)]
        self.assertEqual(len(buckets), 13)
        self.assertEqual(buckets, sorted(buckets))
        self.assertEqual(buckets[-1], before + 40)
        self.assertIn('le="+Inf"', text)
        self.assertIsNotNone(self.value(text, 'monitorage_http_request_duration_seconds_sum{handler="health",'
                                              'code="2xx"}'))
        # Errors are timed in their own class.
        self.assertError(self.call("GET", "/api/v1/status"), 401)
        self.assertIsNotNone(self.value(self.scrape(), 'monitorage_http_request_duration_seconds_count'
                                                       '{handler="status",code="4xx"}'))


if __name__ == "__main__":
    harness.main()
