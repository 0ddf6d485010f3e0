#!/usr/bin/env python3
"""The packagings under deploy/ agree with each other and with the configuration.

Parses deploy/Dockerfile, deploy/compose.yaml (PyYAML), deploy/systemd/trialbridge.service and
deploy/kubernetes/*.yaml, and checks ports, paths, probe URLs, secret files and configuration keys
against deploy/trialbridge.example.json and against the service itself: every setting the example
and the packagings give (in the file or as TRIALBRIDGE_* variables) is one that
`trialbridge serve --check-config` accepts.

  python3 tests/deploy/check_deploy.py --binary build/adapter/cli/trialbridge   (ctest deploy.*)
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BINARY = None  # set by main()
CONFIG_PATH = "/etc/trialbridge/trialbridge.json"
MLLP_PORT = 2575
# Endpoints a probe may use: the FHIR API's metadata now, /healthz and /readyz with the operations
# step of issue 14.
HEALTH_PATHS = {"/healthz", "/readyz"}


def example():
    return json.loads((DEPLOY / "trialbridge.example.json").read_text())


# ---------------------------------------------------------------------------------------------
# Readers


def dockerfile():
    """Stages of deploy/Dockerfile: [{"from": ..., "steps": [(KEYWORD, text)]}]."""
    stages, current = [], ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("#") or (not current and not line.strip()):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        keyword, _, text = (current + line).strip().partition(" ")
        current = ""
        if keyword.upper() == "FROM":
            stages.append({"from": text.split()[0], "steps": []})
        elif stages:
            stages[-1]["steps"].append((keyword.upper(), " ".join(text.split())))
    return stages


def steps(stage, keyword):
    return [t for k, t in stage["steps"] if k == keyword]


def runtime_uid():
    """The uid of the runtime stage's user (useradd --uid N)."""
    m = re.search(r"--uid (\d+)", " ".join(steps(dockerfile()[-1], "RUN")))
    assert m, "the runtime stage makes no user with a fixed uid"
    return int(m.group(1))


def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def systemd_unit():
    """The unit as {section: {key: [values]}}: keys repeat in units, and each line is one value."""
    unit, section = {}, None
    for raw in (DEPLOY / "systemd" / "trialbridge.service").read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = unit.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and section is not None, f"not a unit line: {raw}"
        section.setdefault(key.strip(), []).append(value.strip())
    return unit


def unit_environment(unit):
    env = {}
    for line in unit["Service"].get("Environment", []):
        for assignment in shlex.split(line):
            name, _, value = assignment.partition("=")
            env[name] = value
    return env


def kubernetes():
    """Every object of deploy/kubernetes/*.yaml, by (kind, name)."""
    objects = {}
    for f in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if doc and "kind" in doc and doc["kind"] != "Kustomization":
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def url_parts(url):
    m = re.search(r"(https?)://[^/:\s]+:(\d+)(/\S*)", url)
    assert m, f"not a URL with a port: {url}"
    return m.group(1), int(m.group(2)), m.group(3)


def file_settings(config):
    """The settings of a configuration that name files: {key path: file}."""
    out = {}
    for section, key in (("tls", "certificate"), ("tls", "privateKey"), ("auth", "jwks"),
                         ("store", "databaseFile"), ("mllp", "tlsCertificate"),
                         ("mllp", "tlsPrivateKey"), ("mllp", "tlsClientCa")):
        if config.get(section, {}).get(key):
            out[f"{section}.{key}"] = config[section][key]
    for i, t in enumerate(config.get("trials", [])):
        out[f"trials[{i}]"] = t
    return out


# ---------------------------------------------------------------------------------------------
# The service's own verdict


def check_config(env_overrides, config=DEPLOY / "trialbridge.example.json"):
    """Runs `trialbridge serve --config FILE --check-config` with the variables; returns
    (status, settings problems, file problems). Problems with the settings name the file or a
    variable; the others are about files that are not on this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIALBRIDGE_")}
    env.update(env_overrides)
    r = subprocess.run([BINARY, "serve", "--config", str(config), "--check-config"], env=env,
                       capture_output=True, text=True, timeout=120)
    settings, files = [], []
    for line in r.stderr.splitlines():
        text = line.removeprefix("trialbridge serve: ")
        about_settings = (text.startswith(str(config) + ": ") or
                          text.startswith("environment variable "))
        # A secret file is read with the settings; that it is missing here is about the file.
        if about_settings and re.search(r"names the file '[^']*', which cannot be read", text):
            about_settings = False
        (settings if about_settings else files).append(text)
    return r.returncode, settings, files


def with_variables(fixtures, variables):
    """The fixtures' variables, less those a packaging's own variables set (the same setting,
    directly or from a file), and then the packaging's."""
    env = dict(fixtures)
    for name in variables:
        base = name.removesuffix("_FILE")
        env.pop(base, None)
        env.pop(base + "_FILE", None)
    env.update(variables)
    return env


class Fixtures:
    """Real files for every file the example names, so that --check-config can pass here."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="check-deploy-"))
        (self.dir / "server.crt").write_text("a certificate\n")
        (self.dir / "tls.key").write_text("a key\n")
        (self.dir / "database").write_text("host=db dbname=trialbridge user=tb password=p\n")
        (self.dir / "pseudonymisation").write_text("0123456789abcdef0123456789abcdef\n")
        self.env = {
            "TRIALBRIDGE_TLS_CERTIFICATE": str(self.dir / "server.crt"),
            "TRIALBRIDGE_TLS_PRIVATE_KEY": str(self.dir / "tls.key"),
            "TRIALBRIDGE_MLLP_TLS_CERTIFICATE": str(self.dir / "server.crt"),
            "TRIALBRIDGE_MLLP_TLS_PRIVATE_KEY": str(self.dir / "tls.key"),
            "TRIALBRIDGE_AUTH_JWKS": str(ROOT / "fuzz" / "keys" / "jwks.json"),
            "TRIALBRIDGE_STORE_DATABASE_FILE": str(self.dir / "database"),
            "TRIALBRIDGE_TRIALS": json.dumps([str(ROOT / "samples/trials/NCT06813157.json")]),
        }

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------


class ExampleConfiguration(unittest.TestCase):
    def test_the_service_accepts_every_key(self):
        fx = Fixtures()
        try:
            status, settings, files = check_config(fx.env)
        finally:
            fx.close()
        self.assertEqual(settings, [])
        self.assertEqual(files, [])
        self.assertEqual(status, 0)

    def test_without_the_files_only_the_files_are_missing(self):
        # On this machine the example's files are not there: --check-config says so, and nothing
        # else (every key and value is accepted).
        status, settings, files = check_config({})
        self.assertEqual(settings, [])
        self.assertEqual(status, 2)
        self.assertTrue(files)

    def test_secret_files_are_secrets_and_the_rest_is_not(self):
        c = example()
        self.assertNotIn("database", c["store"], "the connection string (a password) inline")
        self.assertTrue(c["store"]["databaseFile"].startswith("/run/secrets/"))
        self.assertTrue(c["tls"]["privateKey"].startswith("/run/secrets/"))
        self.assertTrue(c["tls"]["certificate"].startswith("/etc/trialbridge/"))

    def test_every_setting_is_documented(self):
        # docs/configuration.md has a table per section with a row per key.
        doc = (ROOT / "docs/configuration.md").read_text()
        for section, value in example().items():
            part = doc.split(f"## `{section}`", 1)
            self.assertEqual(len(part), 2, f"no section `{section}` in docs/configuration.md")
            body = part[1].split("\n## ", 1)[0]
            for key in (value if isinstance(value, dict) else {}):
                self.assertIn(f"| `{key}` |", body, f"{section}.{key} is not documented")

    def test_several_nodes_share_postgresql_without_the_cache(self):
        c = example()
        self.assertEqual(c["store"]["backend"], "postgresql")
        self.assertIs(c["store"]["cache"], False)


class Dockerfile(unittest.TestCase):
    def setUp(self):
        self.stages = dockerfile()
        self.build, self.runtime = self.stages[0], self.stages[-1]

    def test_two_stages_on_bookworm(self):
        self.assertEqual(len(self.stages), 2)
        self.assertEqual(self.build["from"], "debian:bookworm")
        self.assertEqual(self.runtime["from"], "debian:bookworm-slim")

    def test_runtime_has_no_build_tools_and_runs_as_a_user(self):
        installs = " ".join(steps(self.runtime, "RUN"))
        for tool in ("-dev", "build-essential", "cmake", "g++", "ninja"):
            self.assertNotIn(tool, installs)
        users = steps(self.runtime, "USER")
        self.assertEqual(len(users), 1)
        self.assertNotIn(users[0], ("root", "0"))
        self.assertNotEqual(runtime_uid(), 0)

    def test_ports_are_the_configuration_s(self):
        exposed = [int(p) for p in " ".join(steps(self.runtime, "EXPOSE")).split()]
        self.assertEqual(exposed, [example()["http"]["port"], MLLP_PORT])

    def test_healthcheck_asks_the_service_on_its_port(self):
        (health,) = steps(self.runtime, "HEALTHCHECK")
        scheme, port, path = url_parts(health)
        self.assertEqual(scheme, "https" if example()["tls"]["enabled"] else "http")
        self.assertEqual(port, example()["http"]["port"])
        self.assertIn(path, HEALTH_PATHS)

    def test_runs_the_example_configuration_and_installs_docs_and_completion(self):
        copies = steps(self.runtime, "COPY")
        self.assertIn(f"deploy/trialbridge.example.json {CONFIG_PATH}", copies)
        self.assertIn("docs/trialbridge.1 /usr/share/man/man1/trialbridge.1", copies)
        self.assertIn("deploy/completion/trialbridge.bash "
                      "/usr/share/bash-completion/completions/trialbridge", copies)
        trials = [c for c in copies if c.endswith("/etc/trialbridge/trials/")]
        self.assertEqual(trials, ["samples/trials/ /etc/trialbridge/trials/"])
        for t in example()["trials"]:
            self.assertTrue((ROOT / "samples/trials" / Path(t).name).exists(), t)
        self.assertEqual(json.loads(steps(self.runtime, "ENTRYPOINT")[0]), ["/usr/bin/trialbridge"])
        self.assertEqual(json.loads(steps(self.runtime, "CMD")[0]),
                         ["serve", "--config", CONFIG_PATH])

    def test_build_copies_exist(self):
        for c in steps(self.build, "COPY"):
            for source in c.split()[:-1]:
                self.assertTrue((ROOT / source).exists(), source)


class Compose(unittest.TestCase):
    def setUp(self):
        self.c = compose()
        self.tb = self.c["services"]["trialbridge"]
        self.pg = self.c["services"]["postgres"]

    def test_stop_waits_longer_than_the_grace(self):
        # SIGTERM, then SIGKILL after the grace period: the service's own must end first.
        grace = example()["shutdownGraceSeconds"]
        self.assertLess(grace, int(str(self.tb["stop_grace_period"]).rstrip("s")))

    def test_postgresql_15_with_a_volume_a_healthcheck_and_a_secret_password(self):
        self.assertRegex(self.pg["image"], r"^postgres:15\b")
        volume, _, target = self.pg["volumes"][0].partition(":")
        self.assertIn(volume, self.c["volumes"])
        self.assertEqual(target, "/var/lib/postgresql/data")
        self.assertIn("pg_isready", " ".join(self.pg["healthcheck"]["test"]))
        password = self.pg["environment"]["POSTGRES_PASSWORD_FILE"]
        self.assertEqual(Path(password).parent, Path("/run/secrets"))
        self.assertIn(Path(password).name, self.pg["secrets"])
        self.assertNotIn("POSTGRES_PASSWORD", self.pg["environment"])

    def test_trialbridge_waits_for_a_healthy_database(self):
        self.assertEqual(self.tb["depends_on"]["postgres"]["condition"], "service_healthy")
        self.assertEqual(self.tb["build"]["dockerfile"], "deploy/Dockerfile")
        self.assertEqual(self.tb["command"], json.loads(steps(dockerfile()[-1], "CMD")[0]))

    def test_ports_and_healthcheck_are_the_image_s(self):
        published = {int(p.rsplit(":", 1)[1]) for p in self.tb["ports"]}
        self.assertEqual(published, {example()["http"]["port"], MLLP_PORT})
        for p in self.tb["ports"]:
            self.assertTrue(p.startswith("127.0.0.1:"), f"{p} published on every address")
        test = " ".join(self.tb["healthcheck"]["test"][1:])
        (image_check,) = steps(dockerfile()[-1], "HEALTHCHECK")
        self.assertEqual(url_parts(test), url_parts(image_check))

    def test_every_file_the_configuration_names_is_mounted(self):
        mounts = {}
        for v in self.tb["volumes"]:
            source, target = v.split(":")[:2]
            mounts[target] = source
            if source.startswith("."):
                self.assertTrue((DEPLOY / source).exists() or "secrets/" in source, source)
        self.assertEqual(mounts[CONFIG_PATH], "./trialbridge.example.json")
        for name in self.tb["secrets"]:
            self.assertIn(name, self.c["secrets"])
            mounts[f"/run/secrets/{name}"] = self.c["secrets"][name]["file"]
        for key, path in file_settings(example()).items():
            self.assertTrue(path in mounts or str(Path(path).parent) in mounts, f"{key}: {path}")
        self.assertIn("trialbridge_pseudonymisation", self.tb["secrets"])

    def test_its_variables_are_settings(self):
        fx = Fixtures()
        try:
            env = with_variables(fx.env, {k: str(v) for k, v in
                                          self.tb.get("environment", {}).items()})
            status, settings, files = check_config(env)
        finally:
            fx.close()
        self.assertEqual(settings, [])
        self.assertEqual(status, 0, files)

    def test_hardened(self):
        self.assertIs(self.tb["read_only"], True)
        self.assertEqual(self.tb["cap_drop"], ["ALL"])
        self.assertIn("no-new-privileges:true", self.tb["security_opt"])
        self.assertEqual(self.tb["stop_signal"], "SIGTERM")


class Systemd(unittest.TestCase):
    def setUp(self):
        self.unit = systemd_unit()
        self.service = self.unit["Service"]
        self.env = unit_environment(self.unit)

    def test_stop_waits_longer_than_the_grace(self):
        self.assertLess(example()["shutdownGraceSeconds"], int(self.service["TimeoutStopSec"][-1]))

    def one(self, key):
        values = self.service.get(key, [])
        self.assertEqual(len(values), 1, key)
        return values[0]

    def test_runs_the_configuration_and_checks_it_first(self):
        self.assertEqual(self.one("ExecStart"), f"/usr/bin/trialbridge serve --config {CONFIG_PATH}")
        self.assertEqual(self.one("ExecStartPre"),
                         f"/usr/bin/trialbridge serve --config {CONFIG_PATH} --check-config")
        self.assertEqual(self.one("KillSignal"), "SIGTERM")

    def test_hardening(self):
        expected = {"DynamicUser": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes",
                    "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
                    "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes"}
        for key, value in expected.items():
            self.assertEqual(self.one(key), value, key)

    def test_the_sqlite_file_is_in_the_only_writable_place(self):
        self.assertEqual(self.env["TRIALBRIDGE_STORE_BACKEND"], "sqlite")
        folder = str(Path(self.env["TRIALBRIDGE_STORE_DATABASE"]).parent)
        self.assertEqual(self.one("ReadWritePaths").split(), [folder])
        self.assertEqual(f"/var/lib/{self.one('StateDirectory')}", folder)
        self.assertEqual(self.one("WorkingDirectory"), folder)

    def test_credentials_are_the_files_the_settings_name(self):
        creds = dict(c.split(":", 1) for c in self.service["LoadCredential"])
        for name, value in self.env.items():
            if "%d/" in value:
                self.assertIn(value.split("%d/")[1], creds, name)
        self.assertIn("trialbridge_pseudonymisation", creds)
        for source in creds.values():
            self.assertTrue(source.startswith("/etc/trialbridge/secrets/"), source)

    def test_its_variables_are_settings(self):
        fx = Fixtures()
        credentials = fx.dir / "credentials"
        credentials.mkdir()
        state = fx.dir / "state"
        state.mkdir()
        try:
            env = with_variables(fx.env, {
                name: value.replace("%d", str(credentials)).replace("/var/lib/trialbridge",
                                                                     str(state))
                for name, value in self.env.items()})
            for name in dict(c.split(":", 1) for c in self.service["LoadCredential"]):
                (credentials / name).write_text("a secret of at least 16 bytes\n")
            status, settings, files = check_config(env)
        finally:
            fx.close()
        self.assertEqual(settings, [])
        self.assertEqual(status, 0, files)

    @unittest.skipIf(shutil.which("systemd-analyze") is None, "no systemd-analyze here")
    def test_systemd_finds_nothing_wrong(self):
        with tempfile.TemporaryDirectory() as d:
            unit = Path(d) / "trialbridge.service"
            unit.write_text((DEPLOY / "systemd/trialbridge.service").read_text()
                            .replace("/usr/bin/trialbridge", str(Path(BINARY).resolve())))
            r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                               capture_output=True, text=True)
            self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))


class Kubernetes(unittest.TestCase):
    def setUp(self):
        self.objects = kubernetes()
        self.deployment = self.objects[("Deployment", "trialbridge")]
        self.pod = self.deployment["spec"]["template"]
        self.container = self.pod["spec"]["containers"][0]
        self.ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}

    def test_kustomization_lists_every_manifest(self):
        k = yaml.safe_load((DEPLOY / "kubernetes/kustomization.yaml").read_text())
        files = {f.name for f in (DEPLOY / "kubernetes").glob("*.yaml")} - {"kustomization.yaml"}
        self.assertEqual(set(k["resources"]), files)

    def test_the_config_map_holds_the_example(self):
        cm = self.objects[("ConfigMap", "trialbridge-config")]
        self.assertEqual(json.loads(cm["data"]["trialbridge.json"]), example(),
                         "deploy/kubernetes/configmap.yaml differs from trialbridge.example.json")
        json.loads(cm["data"]["jwks.json"])

    def test_stop_waits_longer_than_the_grace(self):
        self.assertLess(example()["shutdownGraceSeconds"],
                        self.pod["spec"]["terminationGracePeriodSeconds"])

    def test_several_replicas_on_postgresql(self):
        self.assertGreaterEqual(self.deployment["spec"]["replicas"], 2)
        self.assertEqual(example()["store"]["backend"], "postgresql")

    def test_ports_services_and_selectors_agree(self):
        self.assertEqual(self.ports, {"https": example()["http"]["port"], "mllp": MLLP_PORT})
        labels = self.pod["metadata"]["labels"]
        self.assertEqual(self.deployment["spec"]["selector"]["matchLabels"], labels)
        targets = set()
        for (kind, name), o in self.objects.items():
            if kind == "Service":
                self.assertEqual(o["spec"]["selector"], labels, name)
                targets |= {p["targetPort"] for p in o["spec"]["ports"]}
        self.assertEqual(targets, set(self.ports))
        mllp = self.objects[("Service", "trialbridge-mllp")]
        self.assertEqual(mllp["spec"]["sessionAffinity"], "ClientIP")

    def test_probes_ask_the_service(self):
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            get = self.container[probe]["httpGet"]
            self.assertIn(get["path"], HEALTH_PATHS, probe)
            self.assertEqual(self.ports[get["port"]], example()["http"]["port"])
            self.assertEqual(get["scheme"], "HTTPS" if example()["tls"]["enabled"] else "HTTP")
        self.assertEqual(self.container["livenessProbe"]["httpGet"]["path"], "/healthz")
        self.assertEqual(self.container["readinessProbe"]["httpGet"]["path"], "/readyz")

    def test_resources_security_and_disruptions(self):
        self.assertTrue({"cpu", "memory"} <= set(self.container["resources"]["requests"]))
        pod = self.pod["spec"]["securityContext"]
        self.assertIs(pod["runAsNonRoot"], True)
        self.assertEqual(pod["runAsUser"], runtime_uid())
        self.assertEqual(pod["fsGroup"], runtime_uid())
        sc = self.container["securityContext"]
        self.assertIs(sc["readOnlyRootFilesystem"], True)
        self.assertIs(sc["allowPrivilegeEscalation"], False)
        pdb = self.objects[("PodDisruptionBudget", "trialbridge")]
        self.assertEqual(pdb["spec"]["selector"]["matchLabels"], self.pod["metadata"]["labels"])
        self.assertLess(pdb["spec"]["maxUnavailable"], self.deployment["spec"]["replicas"])
        self.assertIs(self.pod["spec"]["automountServiceAccountToken"], False)

    def test_every_file_the_configuration_names_is_mounted(self):
        self.assertEqual(self.container["args"], ["serve", "--config", CONFIG_PATH])
        volumes = {v["name"]: v for v in self.pod["spec"]["volumes"]}
        secret = self.objects[("Secret", "trialbridge-secrets")]
        provided = {}
        for m in self.container["volumeMounts"]:
            v = volumes[m["name"]]
            if "subPath" in m:
                provided[m["mountPath"]] = (v, m["subPath"])
                continue
            for item in (v.get("secret") or v.get("configMap") or {}).get("items", []):
                provided[f"{m['mountPath']}/{item['path']}"] = (v, item["key"])
        for path, (v, key) in provided.items():
            if "secret" in v:
                self.assertIn(key, secret["stringData"], path)
            if "configMap" in v:
                cm = self.objects[("ConfigMap", v["configMap"]["name"])]
                self.assertIn(key, cm["data"], path)
        self.assertIn(CONFIG_PATH, provided)
        self.assertIn("/run/secrets/trialbridge_pseudonymisation", provided)
        image_trials = "/etc/trialbridge/trials/"  # in the image (Dockerfile COPY samples/trials/)
        for key, path in file_settings(example()).items():
            self.assertTrue(path in provided or path.startswith(image_trials), f"{key}: {path}")


def main():
    global BINARY
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True, help="the trialbridge executable")
    a, rest = p.parse_known_args()
    BINARY = a.binary
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
