"""Local brokers on 127.0.0.1 for tests and examples: MQTT (`amqtt`) and NATS (``nats-server``).

Each broker runs as a child process on a free port, stops itself when its parent goes away
(MQTT: its standard input closes; NATS: run under ``timeout``) or after ``lifetime`` seconds,
and is stopped by `LocalBroker.stop` / the ``with`` block. `amqtt` speaks MQTT 3.1.1 only.

``python -m arazzo_engine.protocols.local mqtt`` (or ``nats``) starts one and prints its URL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "LocalBroker",
    "free_port",
    "mosquitto_binary",
    "nats_server_binary",
    "start_mosquitto",
    "start_mqtt",
    "start_nats",
]

#: The longest a local broker lives, in seconds, unless told otherwise.
DEFAULT_LIFETIME = 900


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nats_server_binary() -> str | None:
    """The ``nats-server`` executable (``$ARAZZO_NATS_SERVER`` or on PATH), or None."""
    return os.environ.get("ARAZZO_NATS_SERVER") or shutil.which("nats-server")


def mosquitto_binary() -> str | None:
    """The ``mosquitto`` executable (``$ARAZZO_MOSQUITTO`` or on PATH / /usr/sbin), or None."""
    found = os.environ.get("ARAZZO_MOSQUITTO") or shutil.which("mosquitto")
    if found is None and os.path.exists("/usr/sbin/mosquitto"):
        found = "/usr/sbin/mosquitto"
    return found


@dataclass
class LocalBroker:
    """A broker child process listening on ``127.0.0.1:port``."""

    protocol: str
    port: int
    process: subprocess.Popen[bytes]
    scheme: str = ""
    workdir: Path | None = None
    log: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The server URL, e.g. ``mqtt://127.0.0.1:51234``."""
        return f"{self.scheme or self.protocol}://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        """``127.0.0.1:port``, as an AsyncAPI server ``host``."""
        return f"127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Block until the port accepts connections; `RuntimeError` with the log if it dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.protocol} broker exited: {self._log_tail()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.protocol} broker did not listen in {timeout:g}s")

    def _log_tail(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_text(encoding="utf-8", errors="replace")[-2000:]

    def stop(self) -> None:
        """Stop the broker and remove its files (idempotent)."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                if self.process.stdin:
                    self.process.stdin.close()
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> LocalBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_MQTT_CONFIG = """\
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:{port}
plugins:
  amqtt.plugins.authentication.AnonymousAuthPlugin:
    allow_anonymous: true
"""


def start_mqtt(
    lifetime: float = DEFAULT_LIFETIME, tls: tuple[str, str] | None = None
) -> LocalBroker:
    """Start an `amqtt` MQTT 3.1.1 broker (needs the ``amqtt`` package) and wait for it.

    With ``tls`` (certificate file, key file) it listens with TLS (URL scheme ``mqtts``).
    """
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="arazzo-mqtt-"))
    config = workdir / "broker.yaml"
    text = _MQTT_CONFIG.format(port=port)
    if tls is not None:
        listener = f"    bind: 127.0.0.1:{port}\n"
        text = text.replace(
            listener,
            listener + f"    ssl: true\n    certfile: {tls[0]}\n    keyfile: {tls[1]}\n",
        )
    config.write_text(text, encoding="utf-8")
    log = workdir / "broker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "arazzo_engine.protocols.local"),
                *("--serve-mqtt", str(config), "--lifetime", str(lifetime)),
            ],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    scheme = "mqtts" if tls is not None else "mqtt"
    broker = LocalBroker("mqtt", port, process, scheme=scheme, workdir=workdir, log=log)
    broker.wait_ready()
    return broker


def _launch(protocol: str, port: int, args: list[str], log: Path, lifetime: float) -> LocalBroker:
    """Run a broker binary (under ``timeout`` so it stops itself after ``lifetime`` seconds,
    when coreutils has it), its output in ``log``, and wait until it listens on ``port``."""
    timeout = shutil.which("timeout")
    if timeout is not None:
        args = [timeout, str(int(lifetime)), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
    broker = LocalBroker(protocol, port, process, workdir=log.parent, log=log)
    broker.wait_ready()
    return broker


def start_nats(
    *,
    user: str | None = None,
    password: str | None = None,
    tls: tuple[str, str] | None = None,
    client_ca: str | None = None,
    lifetime: float = DEFAULT_LIFETIME,
) -> LocalBroker:
    """Start ``nats-server`` (Debian package ``nats-server``) and wait for it.

    ``tls`` is (certificate file, key file); ``client_ca`` also asks clients for certificates
    signed by that CA. `FileNotFoundError` when the binary is not installed.
    """
    binary = nats_server_binary()
    if binary is None:
        raise FileNotFoundError("nats-server is not installed (apt-get install nats-server)")
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="arazzo-nats-"))
    args = [binary, "-a", "127.0.0.1", "-p", str(port), "--no_advertise"]
    if user is not None:
        args += ["--user", user, "--pass", password or ""]
    if tls is not None:
        args += ["--tls", "--tlscert", tls[0], "--tlskey", tls[1]]
        if client_ca is not None:
            args += ["--tlsverify", "--tlscacert", client_ca]
    return _launch("nats", port, args, workdir / "nats.log", lifetime)


def start_mosquitto(
    lifetime: float = DEFAULT_LIFETIME, users: dict[str, str] | None = None
) -> LocalBroker:
    """Start ``mosquitto`` (Debian package ``mosquitto``; MQTT 5.0 and 3.1.1) and wait for it.

    With ``users`` (name -> password) only they may connect. `FileNotFoundError` when the
    binary is not installed.
    """
    binary = mosquitto_binary()
    if binary is None:
        raise FileNotFoundError("mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="arazzo-mosquitto-"))
    config = workdir / "mosquitto.conf"
    access = "allow_anonymous true\n"
    if users:
        passwords = workdir / "passwords"
        passwords.write_text("", encoding="utf-8")
        tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        for name, secret in users.items():
            subprocess.run([tool, "-b", str(passwords), name, secret], check=True, timeout=30)
        os.chmod(passwords, 0o644)
        access = f"allow_anonymous false\npassword_file {passwords}\n"
    config.write_text(f"listener {port} 127.0.0.1\n{access}persistence false\n", encoding="utf-8")
    os.chmod(workdir, 0o755)
    os.chmod(config, 0o644)
    args = [binary, "-c", str(config)]
    return _launch("mqtt", port, args, workdir / "mosquitto.log", lifetime)


def _serve_mqtt(config_path: str, lifetime: float) -> None:  # pragma: no cover - child process
    import asyncio
    import threading

    import yaml
    from amqtt.broker import Broker  # type: ignore[import-untyped]

    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))

    async def main() -> None:
        broker = Broker(config)
        await broker.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def watch_stdin() -> None:
            sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch_stdin, daemon=True).start()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), lifetime)
        await broker.shutdown()

    asyncio.run(main())


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - manual use
    """``python -m arazzo_engine.protocols.local mqtt|nats``: run a broker until Ctrl-C."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--serve-mqtt"]:
        lifetime = float(args[3]) if len(args) > 3 else DEFAULT_LIFETIME
        _serve_mqtt(args[1], lifetime)
        return 0
    kind = args[0] if args else "mqtt"
    broker = start_mqtt() if kind == "mqtt" else start_nats()
    print(broker.url, flush=True)
    try:
        broker.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
