"""The files in deploy/ are well-formed and start what the app really is.

systemd's own verifier checks the units (with /srv/vom pointed at this checkout, so every ExecStart binary
exists), nginx -t the site (with a throwaway certificate), logrotate -d the rule; where a tool is missing the
test skips that part (or fails under VOM_REQUIRE_SERVICES=1). The commands inside are checked against the app:
the WSGI module, the Celery app, manage.py commands that exist, the upload limit, STATIC_ROOT.
"""

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
SERVER_ROOT = "/srv/vom"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(DEPLOY / "systemd" / name)
    return parser


def exec_start(name: str) -> list[str]:
    return shlex.split(unit(name)["Service"]["ExecStart"])


def env_example() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in (DEPLOY / "vom.env.example").read_text().splitlines() if "=" in line]
    return {k: v.strip('"') for k, v in pairs if not k.startswith("#")}


def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    require(shutil.which("systemd-analyze") is not None, "systemd-analyze (Debian: systemd) is not installed")
    for path in UNITS:  # the units as installed, with /srv/vom pointing at this checkout
        (tmp_path / path.name).write_text(path.read_text().replace(SERVER_ROOT, str(ROOT)))
    done = subprocess.run(
        ["systemd-analyze", "verify", *[p.name for p in UNITS]], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_units_start_the_apps_real_entry_points():
    from django.core.management import get_commands

    web = exec_start("vom-web.service")
    assert web[0] == f"{SERVER_ROOT}/.venv/bin/gunicorn"
    module, attribute = web[1].split(":")
    assert (module, attribute) == ("vom.wsgi", "application")
    assert (ROOT / "vom" / "wsgi.py").read_text().count("application = get_wsgi_application()") == 1
    bind = web[web.index("--bind") + 1]
    assert bind.startswith("127.0.0.1:"), "gunicorn listens on loopback only; nginx is the way in"

    from vom.celery import app

    worker, beat = exec_start("vom-worker.service"), exec_start("vom-beat.service")
    assert worker[:4] == [f"{SERVER_ROOT}/.venv/bin/celery", "-A", "vom", "worker"] and app.main == "vom"
    assert "-B" not in worker and "--beat" not in worker, "beat runs in its own unit, once"
    assert beat[:4] == [f"{SERVER_ROOT}/.venv/bin/celery", "-A", "vom", "beat"]
    assert beat[beat.index("--schedule") + 1].startswith("/var/lib/vom/")  # StateDirectory=vom
    assert [p.name for p in UNITS if "beat" in p.name] == ["vom-beat.service"]  # one, and not a template@

    backup = exec_start("vom-backup.service")
    assert backup[:3] == [f"{SERVER_ROOT}/.venv/bin/python", "manage.py", "backup"]
    assert "backup" in get_commands() and "restore" in get_commands() and "migrate" in get_commands()
    manage = (DEPLOY / "vom-manage").read_text()
    assert f"{SERVER_ROOT}/.venv/bin/python manage.py" in manage


def test_the_units_share_one_environment_and_restart_on_failure():
    for path in UNITS:
        if path.suffix != ".service":
            continue
        service = unit(path.name)["Service"]
        assert service["EnvironmentFile"] == "/etc/vom/vom.env" and service["WorkingDirectory"] == SERVER_ROOT
        assert service["User"] == "vom"
        if path.name != "vom-backup.service":
            assert service["Restart"] in {"always", "on-failure"} and int(service["RestartSec"]) > 0
    timer = unit("vom-backup.timer")
    assert timer["Timer"]["Persistent"] == "true" and timer["Install"]["WantedBy"] == "timers.target"
    backup = unit("vom-backup.service")["Service"]
    assert backup["Type"] == "oneshot"
    assert env_example()["BACKUP_DIR"] in backup["ReadWritePaths"].split(), "the backup may write where it is told"
    for path in (env_example()["MEDIA_ROOT"], env_example()["STATIC_ROOT"]):
        assert path.startswith("/var/lib/vom/"), "inside the services' StateDirectory, writable to them"


def test_the_environment_example_names_only_settings_the_app_reads():
    settings_text = (ROOT / "vom" / "settings.py").read_text()
    backup_text = (ROOT / "vom" / "core" / "management" / "commands" / "backup.py").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in env_example():
        assert f'"{name}"' in settings_text + backup_text, f"{name} is read nowhere"
        assert f"`{name}`" in readme, f"{name} is not documented in README.md"
    assert env_example()["DEBUG"] == "False" and env_example()["USE_X_FORWARDED_PROTO"] == "True"


def nginx_site() -> str:
    return (DEPLOY / "nginx" / "vom.conf").read_text()


def test_the_nginx_site_matches_the_app():
    from agreements.uploads import MAX_SCAN_BYTES

    site = nginx_site()
    size = re.search(r"client_max_body_size (\d+)m;", site)
    assert size, "the upload limit is set"
    limit = int(size.group(1)) * 1024 * 1024
    assert MAX_SCAN_BYTES < limit <= MAX_SCAN_BYTES + 2 * 1024 * 1024, "room for the largest scan and its form"
    port = exec_start("vom-web.service")[exec_start("vom-web.service").index("--bind") + 1]
    assert f"server {port} " in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site  # what USE_X_FORWARDED_PROTO trusts
    assert "proxy_set_header Host $host;" in site
    static_root = env_example()["STATIC_ROOT"]
    location = re.search(r"location /static/ \{\s*root ([^;]+);", site)
    assert location and f"{location.group(1)}/static" == static_root
    assert "media" not in re.sub(r"#.*", "", site), "uploads are never served by nginx"


def test_nginx_accepts_the_site(tmp_path):
    nginx = shutil.which("nginx") or next((p for p in ["/usr/sbin/nginx"] if Path(p).exists()), None)
    require(nginx is not None, "nginx (Debian: nginx-light) is not installed")
    require(shutil.which("openssl") is not None, "openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=vom.example.org",
                    "-days", "1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)  # fmt: skip
    site = nginx_site()
    site = site.replace("/etc/letsencrypt/live/vom.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/vom.example.org/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "vom.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log {tmp_path}/access.log;\n"
        f"  client_body_temp_path {tmp_path};\n  proxy_temp_path {tmp_path};\n  fastcgi_temp_path {tmp_path};\n"
        f"  uwsgi_temp_path {tmp_path};\n  scgi_temp_path {tmp_path};\n  include {tmp_path}/vom.conf;\n}}\n"
    )
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and "syntax is ok" in done.stderr, done.stderr


def test_logrotate_accepts_the_rule_and_signals_a_real_unit(tmp_path):
    rule = (DEPLOY / "logrotate" / "vom").read_text()
    assert "--kill-whom=main vom-web.service" in rule and "USR1" in rule  # gunicorn reopens its logs on USR1
    assert "/var/log/vom/gunicorn-access.log" in unit("vom-web.service")["Service"]["ExecStart"]
    logrotate = shutil.which("logrotate") or ("/usr/sbin/logrotate" if Path("/usr/sbin/logrotate").exists() else None)
    require(logrotate is not None, "logrotate is not installed")
    (tmp_path / "vom").write_text(
        rule.replace("/var/log/vom/", f"{tmp_path}/logs/").replace(" vom vom", " root root")  # no vom user here
    )
    done = subprocess.run([logrotate, "--debug", "--state", str(tmp_path / "state"), str(tmp_path / "vom")],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and "error" not in done.stderr.lower() and "Handling 1 logs" in done.stderr, done.stderr


@pytest.mark.parametrize("path", ["vom-manage"])
def test_the_manage_helper_is_a_valid_shell_script(path):
    done = subprocess.run(["sh", "-n", str(DEPLOY / path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (DEPLOY / path).stat().st_mode & 0o111, "executable"
