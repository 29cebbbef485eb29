#!/usr/bin/env python3
"""Parses the deployment YAML files (python3-yaml) and checks their structure
against the Dockerfile and the settings the programs read (docs/deploy.md):
docker-compose.yml, azure/*.yaml, .github/workflows/*.yml, deploy/*.service.
Environment (from CTest): MONITORAGE_SOURCE_DIR.
"""
import configparser
import glob
import os
import re
import sys
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dockerfile  # noqa: E402
import test_env_vars  # noqa: E402

SOURCE_DIR = os.environ.get("MONITORAGE_SOURCE_DIR") or os.path.join(HERE, "..", "..")


def load(relpath):
    with open(os.path.join(SOURCE_DIR, relpath), encoding="utf-8") as f:
        return yaml.safe_load(f)


def env_names():
    return set(test_env_vars.env_example())


class Compose(unittest.TestCase):
    def setUp(self):
        self.compose = load("docker-compose.yml")
        self.services = self.compose["services"]
        self.stages = dockerfile.read(os.path.join(SOURCE_DIR, "Dockerfile"))

    def test_services_postgres_server_and_checker(self):
        self.assertEqual(set(self.services), {"postgres", "server", "checker"})
        self.assertTrue(self.services["postgres"]["image"].startswith("postgres:16"))
        for name in ("server", "checker"):
            self.assertIn(self.services[name]["build"]["target"], self.stages, name)

    def test_healthchecks_and_start_order(self):
        for name in ("postgres", "server"):
            self.assertIn("test", self.services[name]["healthcheck"], name)
        self.assertIn("/health", " ".join(self.services["server"]["healthcheck"]["test"]))
        self.assertEqual(self.services["server"]["depends_on"]["postgres"]["condition"], "service_healthy")
        # The server applies the migrations; the checkers refuse an outdated schema.
        self.assertEqual(self.services["checker"]["depends_on"]["server"]["condition"], "service_healthy")
        self.assertGreaterEqual(self.services["checker"]["deploy"]["replicas"], 2)

    def test_environment_names_are_documented(self):
        known = env_names()
        for name in ("server", "checker"):
            env = self.services[name]["environment"]
            self.assertIn("DATABASE_URL", env)
            for key in env:
                self.assertIn(key, known, "%s: %s is not in .env.example" % (name, key))
        # The seed's variables and defaults.
        pg = self.services["postgres"]["environment"]
        self.assertEqual(pg["POSTGRES_USER"], "${DB_USER:-monitorage}")
        self.assertEqual(pg["POSTGRES_PASSWORD"], "${DB_PASSWORD:-monitorage_dev}")
        self.assertEqual(pg["POSTGRES_DB"], "${DB_NAME:-monitorage}")
        for key in ("TALEND_API_KEY", "GITHUB_PAT", "KEYCLOAK_URL", "CLOUDFLARE_API_KEY", "GLPI_API_KEY",
                    "JIRA_API_KEY", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "ENCRYPTION_KEY"):
            self.assertIn(key, self.services["server"]["environment"])

    def test_stop_grace_covers_the_checker_drain(self):
        drain_ms = int(self.services["checker"]["environment"]["MONITORAGE_DRAIN_TIMEOUT_MS"])
        grace = self.services["checker"]["stop_grace_period"]
        self.assertTrue(grace.endswith("s"))
        self.assertLess(drain_ms / 1000, int(grace[:-1]))

    def test_server_port_matches_the_image(self):
        env = dockerfile.env(self.stages, "server")
        self.assertEqual(self.services["server"]["environment"]["PORT"], env["PORT"])
        self.assertTrue(any(p.endswith(":" + env["PORT"]) for p in self.services["server"]["ports"]))


class Azure(unittest.TestCase):
    def apps(self):
        return {os.path.basename(p): load(os.path.relpath(p, SOURCE_DIR))
                for p in glob.glob(os.path.join(SOURCE_DIR, "azure", "*.yaml"))}

    def test_every_file_parses(self):
        apps = self.apps()
        self.assertIn("container-apps.yaml", apps)
        self.assertIn("checker-app.yaml", apps)

    def test_container_apps_resources_replicas_and_secrets(self):
        known = env_names()
        for fname in ("container-apps.yaml", "checker-app.yaml"):
            app = self.apps()[fname]
            self.assertEqual(app["type"], "Microsoft.App/containerApps")
            props = app["properties"]
            secrets = {s["name"]: s for s in props["configuration"]["secrets"]}
            for s in secrets.values():
                self.assertRegex(s["keyVaultUrl"], r"^https://[a-z0-9-]+\.vault\.azure\.net/secrets/", fname)
                self.assertIn("identity", s)
            scale = props["template"]["scale"]
            self.assertEqual((scale["minReplicas"], scale["maxReplicas"]), (1, 3), fname)
            self.assertGreaterEqual(props["template"]["terminationGracePeriodSeconds"], 10)
            for container in props["template"]["containers"]:
                self.assertEqual(container["resources"], {"cpu": 0.5, "memory": "1Gi"})
                for var in container["env"]:
                    self.assertIn(var["name"], known, "%s: %s" % (fname, var["name"]))
                    self.assertEqual(len({"value", "secretRef"} & set(var)), 1, var)
                    if "secretRef" in var:
                        self.assertIn(var["secretRef"], secrets, "%s: secret %s" % (fname, var["secretRef"]))
                names = {v["name"]: v for v in container["env"]}
                self.assertIn("secretRef", names["DATABASE_URL"], "DATABASE_URL must come from Key Vault")

    def test_server_ingress_and_probes(self):
        app = self.apps()["container-apps.yaml"]["properties"]
        ingress = app["configuration"]["ingress"]
        container = app["template"]["containers"][0]
        port = {v["name"]: v.get("value") for v in container["env"]}["PORT"]
        self.assertEqual(str(ingress["targetPort"]), port)
        self.assertFalse(ingress["allowInsecure"])
        probes = {p["type"]: p for p in container["probes"]}
        self.assertEqual(probes["Liveness"]["httpGet"]["path"], "/health")
        self.assertEqual(str(probes["Liveness"]["httpGet"]["port"]), port)


class Workflow(unittest.TestCase):
    def test_build_test_image_deploy(self):
        files = glob.glob(os.path.join(SOURCE_DIR, ".github", "workflows", "*.yml"))
        self.assertTrue(files)
        for path in files:
            wf = load(os.path.relpath(path, SOURCE_DIR))
            triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
            self.assertIn("push", triggers)
            jobs = wf["jobs"]
            for name, job in jobs.items():
                self.assertIn("runs-on", job, name)
                self.assertTrue(job["steps"], name)
                for need in ([job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", [])):
                    self.assertIn(need, jobs, "%s needs %s" % (name, need))
        wf = load(".github/workflows/deploy.yml")
        runs = [s.get("run", "") for job in wf["jobs"].values() for s in job["steps"]]
        self.assertTrue(any(r.strip() == "scripts/test" for r in runs))
        self.assertTrue(any("--target $target" in r for r in runs))
        # Every script a step runs exists.
        for r in runs:
            for script in re.findall(r"(?:^|\s)(scripts/[\w-]+)", r):
                self.assertTrue(os.access(os.path.join(SOURCE_DIR, script), os.X_OK), script)
        deploy_apps = [s["with"]["containerAppName"] for s in wf["jobs"]["deploy"]["steps"] if "with" in s
                       and "containerAppName" in s["with"]]
        apps = [load(os.path.relpath(p, SOURCE_DIR))["name"] for p in
                glob.glob(os.path.join(SOURCE_DIR, "azure", "*app*.yaml"))]
        self.assertEqual(sorted(deploy_apps), sorted(apps))
        self.assertEqual(deploy_apps[0], "monitorage-server", "the server (migrations) deploys first")


class Systemd(unittest.TestCase):
    def test_units_are_hardened_and_point_at_installed_programs(self):
        units = glob.glob(os.path.join(SOURCE_DIR, "deploy", "*.service"))
        self.assertEqual(sorted(os.path.basename(u) for u in units),
                         ["monitorage-checkd.service", "monitorage-server.service"])
        for path in units:
            unit = configparser.ConfigParser(strict=False, interpolation=None)
            unit.optionxform = str
            unit.read(path)
            service = unit["Service"]
            program = service["ExecStart"].split()[0]
            self.assertTrue(program.startswith("/usr/local/bin/monitorage"), program)
            self.assertEqual(service["DynamicUser"], "yes")
            self.assertEqual(service["ProtectSystem"], "strict")
            self.assertEqual(service["NoNewPrivileges"], "yes")
            self.assertIn("HOME=", service.get("Environment", ""))
            self.assertEqual(service["KillSignal"], "SIGTERM")
            self.assertIn("EnvironmentFile", service)


if __name__ == "__main__":
    unittest.main(verbosity=2)
