#!/usr/bin/env python3
"""Builds deploy/Dockerfile without docker, in clean Debian bookworm chroots, and checks the result.

`docker build` is not available on the project's machines, so this script reads the Dockerfile and
runs its own instructions (FROM, ARG, ENV, WORKDIR, RUN, COPY [--from], USER, EXPOSE, HEALTHCHECK,
ENTRYPOINT, CMD) the way docker would: each stage in a fresh root file system made by debootstrap
from Debian's mirror (variant minbase, as Debian's images are; "-slim" also drops documentation
as the slim images do), RUN through /bin/sh -c as root or the USER, COPY from the repository or
from an earlier stage. Then it starts the image's ENTRYPOINT and CMD as its USER in its WORKDIR,
with environment variables that turn the example configuration into one that needs no secrets
(plain HTTP on a free loopback port, no authentication, SQLite), and checks:

  - `trialbridge --version` and `serve --check-config` in the image;
  - the service answers GET /fhir/metadata with R4's CapabilityStatement, and the trial the image
    carries is loaded (GET /fhir/ResearchStudy?identifier=NCT06813157 finds it);
  - it runs as the image's user, not as root, and logs JSON lines;
  - SIGTERM stops it with status 0;
  - the runtime stage has no compiler and no headers.

Usage (as root: debootstrap, chroot and mounts need it):
  deploy/chroot-image.py [--work DIR] [--keep] [--reuse-base] [--build-arg NAME=VALUE]...
It prints each step with its time and a summary; docs/deploy.md records the last run. It is not
part of `ctest` (it downloads about 250 MB and compiles for several minutes).
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIRROR = "http://deb.debian.org/debian"
SECURITY = "http://deb.debian.org/debian-security"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What turns the example configuration into one the smoke test can start without secrets.
SMOKE_ENV = {
    "TRIALBRIDGE_HTTP_HOST": "127.0.0.1",
    "TRIALBRIDGE_HTTP_PUBLIC_BASE_URL": "",
    "TRIALBRIDGE_TLS_ENABLED": "false",
    "TRIALBRIDGE_AUTH_ENABLED": "false",
    "TRIALBRIDGE_STORE_BACKEND": "sqlite",
    "TRIALBRIDGE_STORE_DATABASE": "/var/lib/trialbridge/trialbridge.db",
    "TRIALBRIDGE_STORE_CACHE": "true",
}

steps = []  # (name, seconds, result)


def log(msg):
    print(f"chroot-image: {msg}", flush=True)


class Step:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.start = time.monotonic()
        log(f"--- {self.name}")
        return self

    def __exit__(self, kind, value, tb):
        seconds = time.monotonic() - self.start
        steps.append((self.name, seconds, "ok" if kind is None else f"FAILED: {value}"))
        log(f"    {self.name}: {'ok' if kind is None else 'FAILED'} in {seconds:.0f} s")
        return False


# ---------------------------------------------------------------------------------------------
# The Dockerfile


def instructions(text):
    """The Dockerfile's instructions as (KEYWORD, argument text), continuations joined."""
    out, current = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, rest = current.strip().partition(" ")
        out.append((keyword.upper(), rest.strip()))
        current = ""
    return out


def stages(text):
    """Stages as dicts: name, base, steps [(KEYWORD, args)]; global ARGs before the first FROM."""
    result = []
    for keyword, args in instructions(text):
        if keyword == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else str(len(result))
            result.append({"name": name, "base": parts[0], "steps": []})
        elif not result:
            if keyword != "ARG":
                raise SystemExit(f"chroot-image: {keyword} before FROM")
        else:
            result[-1]["steps"].append((keyword, args))
    return result


def expand(text, env):
    """${NAME} and $NAME from the build's variables, as docker expands them in instructions."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), text)


def exec_form(args):
    """["a", "b"] (JSON) or a shell form, as argv."""
    args = args.strip()
    if args.startswith("["):
        return json.loads(args)
    return ["/bin/sh", "-c", args]


# ---------------------------------------------------------------------------------------------
# Root file systems


def run(cmd, **kw):
    log("$ " + " ".join(shlex.quote(str(c)) for c in cmd))
    subprocess.run(cmd, check=True, **kw)


def debootstrap(base, target, work, reuse):
    """A bookworm root file system in `target`, for the image name `base`. The first stage of a run
    bootstraps from the mirror (unless `reuse`: then an earlier run's copy is used); later stages
    of the same run start from a copy of it, as docker starts them from a pulled image."""
    if not re.fullmatch(r"debian:bookworm(-slim)?", base):
        raise SystemExit(f"chroot-image: only debian:bookworm[-slim] bases are supported, not {base}")
    cache = work / "cache" / "bookworm-minbase.tar"
    if (reuse or debootstrap.done) and cache.exists():
        target.mkdir(parents=True)
        run(["tar", "-C", str(target), "-xpf", str(cache)])
    else:
        run(["debootstrap", "--variant=minbase", "bookworm", str(target), MIRROR],
            stdout=subprocess.DEVNULL)
        cache.parent.mkdir(parents=True, exist_ok=True)
        run(["tar", "-C", str(target), "-cpf", str(cache), "."])
    debootstrap.done = True
    (target / "etc/apt/sources.list").write_text(
        f"deb {MIRROR} bookworm main\ndeb {MIRROR} bookworm-updates main\n"
        f"deb {SECURITY} bookworm-security main\n")
    # No service starts while packages are installed (as in Debian's images).
    policy = target / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    # As Debian's images: apt keeps no caches (its binary caches, downloaded packages,
    # translations), no package lists or downloaded packages are left; for "-slim", no
    # documentation, manuals or translations, now or from packages installed later.
    (target / "etc/apt/apt.conf.d/90-image-clean").write_text(
        'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\nAcquire::Languages "none";\n'
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };\n')
    for leftover in ("var/lib/apt/lists", "var/cache/apt/archives"):
        for f in (target / leftover).glob("*"):
            if f.is_file():
                f.unlink()
    if base.endswith("-slim"):
        (target / "etc/dpkg/dpkg.cfg.d/slim").write_text(
            "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n"
            "path-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n"
            "path-exclude /usr/share/locale/*\n")
        for folder in ("usr/share/man", "usr/share/info", "usr/share/locale"):
            shutil.rmtree(target / folder, ignore_errors=True)
            (target / folder).mkdir(parents=True)
        for doc in (target / "usr/share/doc").glob("*"):
            for f in doc.rglob("*"):
                if f.is_file() and f.name != "copyright":
                    f.unlink()
    shutil.copy("/etc/resolv.conf", target / "etc/resolv.conf")


debootstrap.done = False


class Mounts:
    """/proc and /dev in a root while its RUN steps or the service run."""

    def __init__(self, root):
        self.root = root
        self.points = []

    def __enter__(self):
        for kind, source, point in (("proc", "proc", "proc"), ("bind", "/dev", "dev"),
                                    ("bind", "/dev/pts", "dev/pts")):
            target = self.root / point
            target.mkdir(parents=True, exist_ok=True)
            if kind == "proc":
                run(["mount", "-t", "proc", "proc", str(target)])
            else:
                run(["mount", "--bind", source, str(target)])
            self.points.append(target)
        return self

    def __exit__(self, *exc):
        for target in reversed(self.points):
            subprocess.run(["umount", "-l", str(target)], check=False)
        return False


def user_ids(root, user):
    """uid:gid of a user of the root's /etc/passwd (or numeric already)."""
    if re.fullmatch(r"\d+(:\d+)?", user):
        return user if ":" in user else f"{user}:{user}"
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return f"{fields[2]}:{fields[3]}"
    raise SystemExit(f"chroot-image: no user {user} in the image")


def in_root(root, argv, env, workdir, user):
    """The command line that runs argv in the root as `user`, in `workdir`, with only `env`."""
    spec = [] if user in ("", "root", "0") else [f"--userspec={user_ids(root, user)}"]
    assignments = [f"{k}={v}" for k, v in env.items()]
    script = 'cd "$0" && exec "$@"'
    return (["nice", "-n", "10", "chroot", *spec, str(root), "/usr/bin/env", "-i", *assignments,
             "/bin/sh", "-c", script, workdir or "/", *argv])


# ---------------------------------------------------------------------------------------------
# Building


def copy(sources, dest, stage_root, from_root, workdir):
    """COPY: files and folders (a folder's contents) from the context or another stage."""
    dest_path = dest if dest.startswith("/") else os.path.join(workdir or "/", dest)
    target = stage_root / dest_path.lstrip("/")
    for source in sources:
        src = (from_root / source.lstrip("/")) if from_root != ROOT else (ROOT / source)
        if not src.exists():
            raise SystemExit(f"chroot-image: COPY {source}: not found")
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True, symlinks=True)
        else:
            into = target / src.name if dest.endswith("/") or target.is_dir() else target
            into.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, into)


def build_stage(stage, roots, args, work, reuse):
    """Runs one stage's instructions; returns its final state (user, env, workdir, ...)."""
    root = work / f"stage-{stage['name']}"
    with Step(f"stage {stage['name']}: FROM {stage['base']} (debootstrap)"):
        debootstrap(stage["base"], root, work, reuse)
    state = {"root": root, "user": "", "workdir": "/", "env": {"PATH": DEFAULT_PATH},
             "args": {}, "expose": [], "healthcheck": None, "entrypoint": [], "cmd": []}
    with Mounts(root):
        for keyword, text in stage["steps"]:
            variables = {**state["args"], **state["env"]}
            if keyword == "ARG":
                name, _, default = text.partition("=")
                state["args"][name] = args.get(name, default)
            elif keyword == "ENV":
                for pair in shlex.split(text):
                    name, _, value = pair.partition("=")
                    state["env"][name] = expand(value, variables)
            elif keyword == "WORKDIR":
                state["workdir"] = expand(text, variables)
                (root / state["workdir"].lstrip("/")).mkdir(parents=True, exist_ok=True)
            elif keyword == "USER":
                state["user"] = text
            elif keyword == "RUN":
                env = {"HOME": "/root", **variables}
                with Step(f"stage {stage['name']}: RUN {text[:60]}..."):
                    run(in_root(root, ["/bin/sh", "-c", text], env, state["workdir"],
                                state["user"]))
            elif keyword == "COPY":
                parts = shlex.split(text)
                source_root = ROOT
                if parts[0].startswith("--from="):
                    source_root = roots[parts.pop(0).split("=", 1)[1]]["root"]
                copy(parts[:-1], parts[-1], root, source_root, state["workdir"])
            elif keyword == "EXPOSE":
                state["expose"] += text.split()
            elif keyword == "HEALTHCHECK":
                state["healthcheck"] = text[text.index("CMD") + 3:].strip()
            elif keyword == "ENTRYPOINT":
                state["entrypoint"] = exec_form(text)
            elif keyword == "CMD":
                state["cmd"] = exec_form(text)
            elif keyword != "LABEL":
                raise SystemExit(f"chroot-image: {keyword} is not supported")
    return state


# ---------------------------------------------------------------------------------------------
# Checking the result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, json.loads(r.read().decode())


def check_image(final, work):
    root, user = final["root"], final["user"]
    env = {**final["env"], "HOME": "/var/lib/trialbridge", **SMOKE_ENV}
    port = free_port()
    env["TRIALBRIDGE_HTTP_PORT"] = str(port)
    argv = final["entrypoint"] + final["cmd"]
    with Mounts(root):
        with Step("image: trialbridge --version, serve --check-config"):
            out = subprocess.run(in_root(root, [argv[0], "--version"], env, final["workdir"], user),
                                 check=True, capture_output=True, text=True).stdout.strip()
            log(f"    {out}")
            out = subprocess.run(in_root(root, argv + ["--check-config"], env, final["workdir"],
                                         user), check=True, capture_output=True, text=True)
            log(f"    {out.stdout.strip()}")
        errors = work / "serve.stderr"
        with Step("image: start ENTRYPOINT + CMD, GET /fhir/metadata, stop with SIGTERM"):
            with open(errors, "w") as err:
                proc = subprocess.Popen(in_root(root, argv, env, final["workdir"], user),
                                        stdout=subprocess.PIPE, stderr=err, text=True)
            try:
                serve_checks(proc, port, errors)
            finally:
                if proc.poll() is None:
                    proc.kill()
    with Step("image: runtime stage has no compiler and no headers"):
        for path in ("usr/bin/c++", "usr/bin/cmake", "usr/include/Poco", "usr/include/rapidjson"):
            if (root / path).exists():
                raise RuntimeError(f"/{path} is in the runtime image")
        size = subprocess.run(["du", "-sm", str(root)], capture_output=True, text=True,
                              check=True).stdout.split()[0]
        log(f"    runtime root file system: {size} MB")
        steps.append(("runtime size (MB, uncompressed)", 0.0, size))


def serve_checks(proc, port, errors):
    line = ""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("the service stopped: " + errors.read_text()[-2000:])
        if "FHIR base" in line:
            break
    log(f"    {line.strip()}")
    base = f"http://127.0.0.1:{port}/fhir"
    status, cap = get(base + "/metadata")
    if status != 200 or cap.get("resourceType") != "CapabilityStatement" or \
            cap.get("fhirVersion") != "4.0.1":
        raise RuntimeError(f"GET /fhir/metadata: {status} {str(cap)[:200]}")
    log(f"    GET {base}/metadata: {status} CapabilityStatement, FHIR {cap['fhirVersion']}")
    status, found = get(base + "/ResearchStudy?identifier=NCT06813157")
    if found.get("total") != 1:
        raise RuntimeError(f"the image's trial is not loaded: {str(found)[:200]}")
    log(f"    GET {base}/ResearchStudy?identifier=NCT06813157: {status}, total 1")
    uid = next(l.split()[1] for l in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
               if l.startswith("Uid:"))
    if uid == "0":
        raise RuntimeError("the service runs as root")
    log(f"    runs as uid {uid}, not root")
    proc.send_signal(signal.SIGTERM)
    status = proc.wait(timeout=60)
    if status != 0:
        raise RuntimeError(f"SIGTERM: exit status {status}")
    log("    SIGTERM: stopped, status 0")
    for l in errors.read_text().splitlines():
        json.loads(l)  # every log line is a JSON object (log.format "json" in the example)
    log(f"    {len(errors.read_text().splitlines())} log lines, each a JSON object")


# ---------------------------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dockerfile", default=str(ROOT / "deploy" / "Dockerfile"))
    p.add_argument("--work", default="/var/tmp/tb-chroot-image",
                   help="where the root file systems go (removed at the end unless --keep)")
    p.add_argument("--keep", action="store_true", help="keep the root file systems")
    p.add_argument("--reuse-base", action="store_true",
                   help="start stages from the debootstrap of an earlier run (work/cache)")
    p.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE")
    a = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("chroot-image: run as root (debootstrap, chroot and mount need it)")
    if shutil.which("debootstrap") is None:
        raise SystemExit("chroot-image: debootstrap is missing (deploy/install-deps.sh installs it)")
    work = Path(a.work)
    for old in work.glob("stage-*"):
        shutil.rmtree(old)
    work.mkdir(parents=True, exist_ok=True)
    args = dict(x.split("=", 1) for x in a.build_arg)
    if "TB_GIT_COMMIT" not in args:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True)
        args["TB_GIT_COMMIT"] = commit.stdout.strip() or "unknown"
    started = time.monotonic()
    ok = True
    try:
        roots = {}
        for stage in stages(Path(a.dockerfile).read_text()):
            roots[stage["name"]] = build_stage(stage, roots, args, work, a.reuse_base)
        check_image(roots[stage["name"]], work)
    except (subprocess.CalledProcessError, RuntimeError, OSError, ValueError) as e:
        ok = False
        log(f"FAILED: {e}")
    finally:
        if not a.keep:
            for old in work.glob("stage-*"):
                shutil.rmtree(old, ignore_errors=True)
    total = time.monotonic() - started
    print("\nchroot-image: summary")
    for name, seconds, result in steps:
        print(f"  {seconds:7.0f} s  {name}: {result}")
    print(f"  {total:7.0f} s  total: {'PASSED' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
