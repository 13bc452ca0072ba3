"""The model-install step: the real download, checksum and unpack code against a local server."""

import hashlib
import http.server
import io
import socket
import threading
import zipfile

import pytest

from voicecoach.cli import main
from voicecoach.store.model_install import ModelInstallError, ModelSource, install_model


def _model_zip(name="vosk-model-tiny", with_conf=True) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr(f"{name}/am/final.mdl", b"acoustic model bytes")
        if with_conf:
            z.writestr(f"{name}/conf/model.conf", b"--sample-frequency=16000\n")
        z.writestr(f"{name}/README", b"a tiny stand-in with a model's layout")
    return data.getvalue()


@pytest.fixture
def server():
    """A web server on loopback serving whatever `files` holds."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield files, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def _source(url, body):
    return ModelSource(url=url, sha256=hashlib.sha256(body).hexdigest(), timeout_s=5)


def test_a_checked_model_is_unpacked_into_place_and_a_second_run_is_harmless(server, tmp_path):
    files, base = server
    files["/m.zip"] = body = _model_zip()
    path = install_model(tmp_path, _source(base + "/m.zip", body))
    assert path == tmp_path / "vosk-model-tiny" and (path / "conf" / "model.conf").is_file()
    assert install_model(tmp_path, _source(base + "/m.zip", body)) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vosk-model-tiny"]  # no work folders left


def test_a_wrong_checksum_installs_nothing(server, tmp_path):
    files, base = server
    files["/m.zip"] = _model_zip()
    with pytest.raises(ModelInstallError, match="checksum mismatch"):
        install_model(tmp_path, ModelSource(url=base + "/m.zip", sha256="0" * 64, timeout_s=5))
    assert list(tmp_path.iterdir()) == []


def test_no_network_fails_cleanly(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ModelInstallError, match="cannot download .* PocketSphinx"):
        install_model(tmp_path, ModelSource(url=f"http://127.0.0.1:{port}/m.zip", sha256="0" * 64, timeout_s=5))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("body,message", [
    (b"not a zip at all", "not a zip archive"),
    (_model_zip(with_conf=False), "holds no Vosk model folder"),
])
def test_an_archive_that_is_no_model_installs_nothing(server, tmp_path, body, message):
    files, base = server
    files["/m.zip"] = body
    with pytest.raises(ModelInstallError, match=message):
        install_model(tmp_path, _source(base + "/m.zip", body))
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_reports_in_one_line(server, tmp_path, capsys):
    files, base = server
    files["/m.zip"] = body = _model_zip()
    assert main(["install-model", "--url", base + "/m.zip", "--sha256", "1" * 64, "--models", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "checksum mismatch" in err
    assert main(["install-model", "--url", base + "/m.zip", "--models", str(tmp_path)]) == 2
    assert "--url needs --sha256" in capsys.readouterr().err
    sha = hashlib.sha256(body).hexdigest()
    assert main(["install-model", "--url", base + "/m.zip", "--sha256", sha, "--models", str(tmp_path)]) == 0
    assert "Vosk model ready" in capsys.readouterr().out
