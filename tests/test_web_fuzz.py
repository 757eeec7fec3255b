"""schemathesis against the GUI app's own OpenAPI schema: no generated request is a server error."""

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from web_fixtures import make_clip, stroke_inside_object

from trackprop.web.app import create_app
from trackprop.web.project import Project

# The schema is read when this module loads, so the app exists then; the fixture below opens
# a video in its project before any request is generated.
FOLDER = Path(tempfile.mkdtemp(prefix="trackprop-fuzz-"))
atexit.register(shutil.rmtree, FOLDER, True)
PROJECT = Project(FOLDER / "project")
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(PROJECT, 1 << 20))


@pytest.fixture(scope="module", autouse=True)
def project_with_work():
    """A video open, an object and a mask on frame 0: every route has work to do."""
    video, truth = make_clip(FOLDER / "clip")
    PROJECT.open_video(video)
    PROJECT.add_object("horse")
    PROJECT.interact(0, [{"object_id": 1, "path": stroke_inside_object(truth)}])


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_is_a_server_error(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
