// trackprop GUI: every action is one call to the server's Session; this file only draws and sends.
"use strict";
const $ = (id) => document.getElementById(id);
const canvas = $("canvas"), ctx = canvas.getContext("2d");
const state = { project: null, frame: 0, selected: null, frameImage: null, maskImage: null, playing: false, stroke: null, box: null };

async function api(method, url, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
  const response = await fetch(url, options);
  if (!response.ok) {
    const detail = (await response.json().catch(() => ({}))).detail || response.statusText;
    status(detail, true);
    throw new Error(detail);
  }
  return response.headers.get("content-type")?.includes("json") ? response.json() : response;
}

function status(text, error = false) { $("status").textContent = text; $("status").className = error ? "error" : ""; }

function loadImage(url) {
  return new Promise((resolve, reject) => { const img = new Image(); img.onload = () => resolve(img); img.onerror = reject; img.src = url; });
}

async function refresh(project) {
  state.project = project || await api("GET", "/api/project");
  const p = state.project;
  if (!p.video) return;
  $("video-name").textContent = `${p.video} — ${p.width}×${p.height}, ${p.num_frames} frames`;
  canvas.width = p.width; canvas.height = p.height; $("timeline").width = p.num_frames;
  $("slider").max = p.num_frames - 1; $("frame-count").textContent = p.num_frames - 1;
  $("undo").disabled = !p.can_undo; $("redo").disabled = !p.can_redo;
  if (state.selected === null && p.objects.length) state.selected = p.objects[0].id;
  drawObjects(); drawTimeline(); await showFrame(state.frame);
}

function drawObjects() {
  const list = $("objects"); list.innerHTML = "";
  for (const o of state.project.objects) {
    const li = document.createElement("li");
    li.dataset.id = o.id; li.className = o.id === state.selected ? "selected" : "";
    li.innerHTML = `<input type="radio" name="object"><input type="color"><input type="text"><button title="remove">✕</button>`;
    const [radio, colour, name, remove] = li.querySelectorAll("input, button");
    radio.checked = o.id === state.selected; colour.value = o.colour; name.value = o.name;  // values, never markup
    radio.onchange = () => { state.selected = o.id; drawObjects(); };
    colour.onchange = async () => { await api("PATCH", `/api/objects/${o.id}`, { colour: colour.value }); refresh(); };
    name.onchange = async () => { await api("PATCH", `/api/objects/${o.id}`, { name: name.value }); refresh(); };
    remove.onclick = async () => { await refresh(await api("DELETE", `/api/objects/${o.id}`)); if (state.selected === o.id) state.selected = null; };
    list.appendChild(li);
  }
}

function drawTimeline() {
  const t = $("timeline"), c = t.getContext("2d"), p = state.project;
  c.fillStyle = "#444"; c.fillRect(0, 0, t.width, t.height);
  c.fillStyle = "#3b82f6"; for (const f of p.masked) c.fillRect(f, 0, 1, t.height);
  c.fillStyle = "#f59e0b"; for (const f of p.annotated) c.fillRect(f, 0, 1, t.height);
  c.fillStyle = "#fff"; c.fillRect(state.frame, 0, 1, 3);
}

async function showFrame(t) {
  state.frame = Math.max(0, Math.min(t, state.project.num_frames - 1));
  $("slider").value = state.frame; $("frame-number").textContent = state.frame;
  const stamp = Date.now();
  [state.frameImage, state.maskImage] = await Promise.all([
    loadImage(`/api/frame/${state.frame}.jpg`), loadImage(`/api/mask/${state.frame}.png?v=${stamp}`)]);
  render(); drawTimeline();
}

function render() {
  if (!state.frameImage) return;
  ctx.globalAlpha = 1; ctx.drawImage(state.frameImage, 0, 0);
  ctx.globalAlpha = $("opacity").value / 100; ctx.drawImage(state.maskImage, 0, 0);
  ctx.globalAlpha = 1;
  if (state.box) {
    const [x0, y0] = state.box.start, [x1, y1] = state.box.end;
    ctx.strokeStyle = "#00ff88"; ctx.lineWidth = 2; ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  }
  if (state.stroke) {
    ctx.strokeStyle = state.stroke.object_id === 0 ? "#ffffff" : "#00ff88"; ctx.lineWidth = 3; ctx.beginPath();
    state.stroke.points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y))); ctx.stroke();
  }
}

function canvasPoint(event) {
  const r = canvas.getBoundingClientRect();
  return [(event.clientX - r.left) * canvas.width / r.width, (event.clientY - r.top) * canvas.height / r.height];
}

const tool = () => document.querySelector("input[name=tool]:checked").value;

async function interact(body, doneText = "updated") {
  status("segmenting…");
  try { await refresh(await api("POST", "/api/interact", { frame: state.frame, ...body })); status(doneText); }
  catch (e) { render(); }
}

canvas.addEventListener("contextmenu", (event) => event.preventDefault());  // right click: negative
canvas.addEventListener("mousedown", (event) => {
  if (!state.project?.video) return;
  const negative = event.shiftKey || event.button === 2 || $("background").checked;
  if (state.selected === null && !(negative && tool() === "scribble")) { status("add or select an object first", true); return; }
  const point = canvasPoint(event);
  if (tool() === "click") {  // a negative click names the object it corrects
    interact({ clicks: [{ object_id: state.selected, x: point[0], y: point[1], positive: !negative }] });
  } else if (tool() === "box") {
    state.box = { object_id: state.selected, start: point, end: point };
  } else {
    state.stroke = { object_id: negative ? 0 : state.selected, points: [point] };
  }
});
canvas.addEventListener("mousemove", (event) => {
  if (state.stroke) { state.stroke.points.push(canvasPoint(event)); render(); }
  if (state.box) { state.box.end = canvasPoint(event); render(); }
});
window.addEventListener("mouseup", async () => {
  const stroke = state.stroke, box = state.box; state.stroke = null; state.box = null;
  if (box) {
    const [x0, y0] = box.start, [x1, y1] = box.end;
    const clamp = (v, hi) => Math.min(Math.max(v, 0), hi);
    const corners = [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
    const inside = corners.map((v, i) => clamp(v, i % 2 ? canvas.height : canvas.width));
    await interact({ boxes: [{ object_id: box.object_id, box: inside }] });
    return;
  }
  if (!stroke) return;
  const w = canvas.width - 1, h = canvas.height - 1;
  const path = stroke.points.map(([x, y]) => [Math.min(Math.max(x / w, 0), 1), Math.min(Math.max(y / h, 0), 1)]);
  await interact({ strokes: [{ object_id: stroke.object_id, path }] });
});

$("upload").onchange = async () => {
  const form = new FormData(); form.append("file", $("upload").files[0]);
  status("uploading…"); state.frame = 0; state.selected = null;
  await refresh(await api("POST", "/api/upload", form)); status("opened");
};
$("add-object").onclick = async () => { const o = await api("POST", "/api/objects", {}); state.selected = o.id; refresh(); };
$("slider").oninput = () => showFrame(Number($("slider").value));
$("opacity").oninput = render;
$("undo").onclick = async () => refresh(await api("POST", "/api/undo"));
$("redo").onclick = async () => refresh(await api("POST", "/api/redo"));
$("export").onclick = () => { window.location = `/api/export/${$("format").value}`; };
$("cancel").onclick = () => api("POST", "/api/cancel");
$("propagate").onclick = async () => {
  await api("POST", "/api/propagate", { frame: state.frame });
  $("cancel").disabled = false; $("propagate").disabled = true; status("propagating…");
  const poll = setInterval(async () => {
    const p = await api("GET", "/api/progress");
    $("progress").max = Math.max(p.total, 1); $("progress").value = p.done;
    if (!p.running) {
      clearInterval(poll); $("cancel").disabled = true; $("propagate").disabled = false;
      if (p.error) status(p.error, true);
      else status(p.cancelled ? "propagation cancelled" : "propagation done");
      refresh();
    }
  }, 300);
};
$("play").onclick = () => {
  state.playing = !state.playing; $("play").textContent = state.playing ? "❚❚" : "▶";
  const step = async () => {
    if (!state.playing) return;
    await showFrame((state.frame + 1) % state.project.num_frames);
    setTimeout(step, 1000 / (state.project.fps || 24));
  };
  step();
};
window.addEventListener("keydown", (event) => {
  if (event.target.tagName === "INPUT" && event.target.type === "text") return;
  if (event.key === "ArrowRight") showFrame(state.frame + 1);
  else if (event.key === "ArrowLeft") showFrame(state.frame - 1);
  else if (event.key === " ") { event.preventDefault(); $("play").click(); }
  else if ((event.ctrlKey || event.metaKey) && event.key === "z") $("undo").click();
  else if ((event.ctrlKey || event.metaKey) && event.key === "y") $("redo").click();
});
refresh();
