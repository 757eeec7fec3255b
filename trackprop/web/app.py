"""FastAPI routes of the GUI. All state lives in the Project (and its one Session); routes only translate.

Safety: the server binds to 127.0.0.1 unless told otherwise; it serves its own static folder and
its project's data only, never a path taken from a request; upload names must be plain file
names and zip members may not leave the upload folder; uploads and what a zip unpacks to are
limited in size, and an upload never replaces an existing file (see uploads.py).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import FastAPI, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from PIL import Image
from pydantic import BaseModel

from trackprop.atomic import commit, temporary_name
from trackprop.errors import TrackpropError
from trackprop.web.project import BusyError, Project
from trackprop.web.uploads import CHUNK, VIDEO_SUFFIXES, extract_frames, free_path, safe_name

STATIC = Path(__file__).resolve().parent / "static"
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
EXTRACT_FACTOR = 4  # a zip of frames may unpack to this many times the upload limit


class Stroke(BaseModel):
    object_id: int
    path: list[list[float]]


class Click(BaseModel):
    object_id: int
    x: float  # frame pixels
    y: float
    positive: bool = True


class BoxPrompt(BaseModel):
    object_id: int
    box: list[float]  # x0, y0, x1, y1 in frame pixels


class Interaction(BaseModel):
    frame: int
    strokes: list[Stroke] = []
    clicks: list[Click] = []
    boxes: list[BoxPrompt] = []


class ObjectUpdate(BaseModel):
    name: str | None = None
    colour: str | None = None


class FrameRequest(BaseModel):
    frame: int


def create_app(project: Project, max_upload_bytes: int = MAX_UPLOAD_BYTES) -> FastAPI:
    app = FastAPI(title="trackprop")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(TrackpropError)
    async def user_error(request: Request, error: TrackpropError) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error)}, status_code=409 if isinstance(error, BusyError) else 400
        )

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/project")
    def describe() -> dict:
        return project.describe() if project.session else {"video": None}

    @app.post("/api/upload")
    async def upload(file: Annotated[UploadFile, File()]) -> dict:
        """Receive under a temporary name, then a free name: nothing existing is ever replaced."""
        name = safe_name(file.filename or "")
        suffix = Path(name).suffix.lower()
        if suffix not in (*VIDEO_SUFFIXES, ".zip"):
            raise TrackpropError(
                f"upload '{name}': expected a video ({', '.join(VIDEO_SUFFIXES)}) or a .zip of frames."
            )
        uploads = project.folder / "uploads"
        uploads.mkdir(exist_ok=True)
        target = free_path(uploads, name)
        partial = temporary_name(target)
        try:
            size = 0
            with partial.open("wb") as out:
                while chunk := await file.read(CHUNK):
                    size += len(chunk)
                    if size > max_upload_bytes:
                        raise HTTPException(
                            413,
                            f"upload '{name}' is larger than {max_upload_bytes // (1 << 20)} MB.",
                        )
                    out.write(chunk)
            commit(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        try:
            if suffix == ".zip":
                frames = uploads / target.stem
                try:
                    video = extract_frames(target, frames, EXTRACT_FACTOR * max_upload_bytes)
                finally:
                    target.unlink()  # the frames are what the project keeps
                try:
                    project.open_video(video)
                except BaseException:
                    shutil.rmtree(video, ignore_errors=True)
                    raise
            else:
                project.open_video(target)
        except BaseException:
            target.unlink(missing_ok=True)  # a rejected upload leaves nothing behind
            raise
        return project.describe()

    @app.get("/api/frame/{t}.jpg")
    def frame(t: int) -> Response:
        image = Image.fromarray(
            project.require().frames.read(project.require().frames.check_index(t))
        )
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        return Response(buffer.getvalue(), media_type="image/jpeg")

    @app.get("/api/mask/{t}.png")
    def mask(t: int) -> Response:
        """The frame's objects in their colours, transparent elsewhere (opacity is applied by the page)."""
        labels = project.require().labels(t)
        colours = np.zeros((256, 4), np.uint8)
        for info in project.objects.values():
            colours[info.id] = [*bytes.fromhex(info.colour[1:]), 255]
        buffer = io.BytesIO()
        Image.fromarray(colours[labels], "RGBA").save(buffer, format="PNG")
        return Response(buffer.getvalue(), media_type="image/png")

    @app.post("/api/objects")
    def add_object(update: ObjectUpdate) -> dict:
        return vars(project.add_object(update.name, update.colour))

    @app.patch("/api/objects/{object_id}")
    def update_object(object_id: int, update: ObjectUpdate) -> dict:
        return vars(project.update_object(object_id, update.name, update.colour))

    @app.delete("/api/objects/{object_id}")
    def remove_object(object_id: int) -> dict:
        project.remove_object(object_id)
        return project.describe()

    @app.post("/api/interact")
    def interact(interaction: Interaction) -> dict:
        project.interact(
            interaction.frame,
            [s.model_dump() for s in interaction.strokes],
            [c.model_dump() for c in interaction.clicks],
            [b.model_dump() for b in interaction.boxes],
        )
        return project.describe()

    @app.post("/api/propagate")
    def propagate(request: FrameRequest) -> dict:
        project.start_propagation(request.frame)
        return vars(project.progress)

    @app.get("/api/progress")
    def progress() -> dict:
        return vars(project.progress)

    @app.post("/api/cancel")
    def cancel() -> dict:
        project.cancel()
        return vars(project.progress)

    @app.post("/api/undo")
    def undo() -> dict:
        project.undo()
        return project.describe()

    @app.post("/api/redo")
    def redo() -> dict:
        project.redo()
        return project.describe()

    @app.get("/api/export/{format}")
    def export(format: str) -> FileResponse:
        archive = project.export(format)
        return FileResponse(
            archive, media_type="application/zip", filename=f"trackprop-{format}.zip"
        )

    return app
