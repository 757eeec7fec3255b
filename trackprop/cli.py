"""The `trackprop` command line. Each subcommand's work lives in the package; this only parses."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from trackprop.config import DEFAULT_PROPAGATOR, DEFAULT_TRACKER
from trackprop.errors import TrackpropError


def cmd_data_fetch(args: argparse.Namespace) -> None:
    from trackprop.data.sources import fetch_all

    fetch_all(Path(args.cache) if args.cache else None)


def cmd_data_synth(args: argparse.Namespace) -> None:
    from trackprop.data.synth import SynthConfig, pool_from_manifest, synthesize

    if not 0 <= args.cartoon_objects <= 1:
        raise TrackpropError(f"--cartoon-objects {args.cartoon_objects}: give a share in 0-1.")
    cache = Path(args.cache) if args.cache else None
    pool = pool_from_manifest(args.split, cache, args.more_backgrounds)
    config = SynthConfig(
        frames=args.frames,
        height=args.height,
        width=args.width,
        cartoon_objects=args.cartoon_objects,
    )
    start = time.perf_counter()
    results = synthesize(args.out, pool, args.videos, args.seed, args.split, config, args.workers)
    seconds = time.perf_counter() - start
    objects = sum(r["objects"] for r in results)
    print(
        f"wrote {len(results)} videos x {args.frames} frames ({objects} objects) to {args.out} "
        f"[{args.split}: {len(pool.photos)} photo stamps, {len(pool.cartoons)} cartoon stamps, "
        f"{len(pool.backgrounds)} backgrounds] in {seconds:.1f} s"
    )


def cmd_data_pack(args: argparse.Namespace) -> None:
    from trackprop.data.pack import pack_split

    packed = pack_split(args.split, Path(args.out), Path(args.cache) if args.cache else None)
    size = sum(path.stat().st_size for path in Path(args.out).rglob("*") if path.is_file())
    print(
        f"wrote {args.out}: {len(packed['stamps'])} stamps, {len(packed['backgrounds'])} "
        f"backgrounds of the {args.split} split, {size / 2**20:.1f} MiB"
    )


def cmd_data_preview(args: argparse.Namespace) -> None:
    from trackprop.data.preview import contact_sheet

    path = contact_sheet(args.root, args.out, args.split, args.sequences, args.columns)
    print(f"wrote {path}")


def train_config(args: argparse.Namespace):
    from trackprop.train.loop import TrainConfig, torch_device

    segmentation = (
        {
            "encoder": args.encoder,
            "size": args.size,
            "init": args.init,
            "device": args.device,
            "int8_aware": args.int8_aware,
            "ema": args.ema,
            "decoder_channels": args.decoder_channels,
        }
        if "encoder" in args
        else {}
    )
    if args.workers < 0 or (args.minutes is not None and args.minutes <= 0):
        raise TrackpropError("--workers must be 0 or more and --minutes more than 0.")
    config = TrainConfig(
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        threads=args.threads,
        workers=args.workers,
        minutes=args.minutes,
        seed=args.seed,
        checkpoint_seconds=30 if segmentation.get("device") == "cuda" else 0,
        **segmentation,
    )
    torch_device(config.device)  # a missing GPU fails before the data is read
    return config


def report_training(out: str, result: dict) -> None:
    print(
        f"wrote {out}: val IoU {result['val_iou']:.3f} after {result['steps']} steps, {result['seconds']} s"
    )


def cmd_train_propagation(args: argparse.Namespace) -> None:
    from trackprop.train.propagation import train_propagation

    result = train_propagation(
        args.data,
        args.out,
        args.val,
        train_config(args),
        args.split,
        args.val_split,
        args.memory,
        args.own_errors,
        args.box_jitter,
        args.revealed,
        args.twins,
        args.refind,
        args.boundary_weight,
    )
    report_training(args.out, result)


def cmd_train_interaction(args: argparse.Namespace) -> None:
    from trackprop.train.interaction import train_interaction

    refine = args.round == "refine"
    result = train_interaction(
        args.data,
        args.out,
        args.val,
        train_config(args),
        refine,
        args.split,
        args.val_split,
        args.own_errors,
        args.prompt_weight,
    )
    report_training(args.out, result)


def cmd_train_tracker(args: argparse.Namespace) -> None:
    from importlib import import_module

    from trackprop.train.tracker_training import train_tracker

    training = import_module(f"trackprop.train.{args.train_command}").TRAINING
    result = train_tracker(
        training, args.data, args.out, args.val, train_config(args), args.split, args.val_split
    )
    print(f"wrote {args.out}: {result}")


def cmd_propagate(args: argparse.Namespace) -> None:
    """Every input is checked before any work; the output folder is crash-safe and resumable."""
    from tqdm import tqdm

    from trackprop.pipeline import Job, run_job

    job = Job(
        video=args.video,
        out=args.out,
        mask=args.mask,
        scribbles=args.scribbles,
        clicks=args.clicks,
        boxes=args.boxes,
        frame=args.frame,
        tracker=args.tracker,
        propagator=args.propagator,
        formats=args.format,
        keyframe_every=args.keyframe_every,
        device=args.device,
        int8=args.int8,
        feather=args.feather,
    )
    bar: list[tqdm] = []  # made at the first frame: a refused job prints only its error line

    def on_frame(t: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, desc="propagate", unit="frame"))
        bar[0].update()

    result = run_job(job, args.overwrite, args.threads, on_frame)
    for progress in bar:
        progress.close()
    if result.skipped:
        print(f"{args.out}: this run is already complete; nothing to do.")
        return
    if result.resumed:
        print(f"resuming: {result.resumed} of {result.frames - 1} frames were done")
    for path in result.written:
        print(f"wrote {path}")
    print(f"propagated {result.computed} frames in this run ({result.frames - 1} in all)")


def cmd_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from trackprop.batch.jobs import read_jobs
    from trackprop.batch.runner import SUMMARY, run_batch
    from trackprop.export import parse_formats
    from trackprop.models.runtime import providers

    parse_formats(args.format)  # a bad format fails the command, not every video
    providers(args.device)  # a missing GPU fails the command, not every video
    defaults = {
        "tracker": args.tracker,
        "propagator": args.propagator,
        "formats": args.format,
        "device": args.device,
        "int8": args.int8,
    }
    out = Path(args.out)
    entries = read_jobs(args.jobs, out, defaults)
    with tqdm(total=len(entries), desc="batch", unit="video") as progress:

        def on_done(line: dict) -> None:
            progress.update()
            if line["status"] == "failed":
                progress.write(f"trackprop: {line['name']}: {line['error']}", file=sys.stderr)

        lines = run_batch(entries, out, args.workers, args.ray, args.threads, on_done)
    counts = {s: sum(line["status"] == s for line in lines) for s in ("done", "skipped", "failed")}
    print(
        f"{counts['done']} done, {counts['skipped']} skipped (already done), "
        f"{counts['failed']} failed; summary: {out / SUMMARY}"
    )
    return 1 if counts["failed"] else 0


def cmd_eval_interactive(args: argparse.Namespace) -> None:
    from trackprop.eval.interactive import run_interactive

    summary = run_interactive(
        args.root,
        args.subset,
        args.rounds,
        args.time_per_object,
        args.tracker,
        args.report,
        args.threads,
        args.propagator,
        args.device,
        args.network,
        args.int8,
    )
    print(
        f"AUC {summary['auc']:.3f}  J&F@60s {summary['metric_at_threshold']['J_AND_F']:.3f}  (report: {args.report})"
    )


def cmd_eval_ablation(args: argparse.Namespace) -> None:
    from trackprop.eval.ablation import run_ablation

    table = run_ablation(
        args.root,
        args.subset,
        args.rounds,
        args.time_per_object,
        args.report,
        args.threads,
        args.propagator,
        args.device,
    )
    print(f"wrote {table}")


def cmd_eval_prompts(args: argparse.Namespace) -> None:
    from trackprop.eval.prompt_protocols import run_protocol

    summary = run_protocol(
        args.eval_command,
        args.root,
        args.subset,
        args.tracker,
        args.report,
        args.threads,
        args.device,
        progress=lambda name, row: print(f"{name}: J&F {row['J&F']:.3f}", flush=True),
        propagator=args.propagator,
        int8=args.int8,
    )
    print(json.dumps(summary))


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from trackprop.models.runtime import providers
    from trackprop.web.app import create_app
    from trackprop.web.project import Project

    providers(args.device)  # before the server starts

    folder = Path(
        args.project
        or (Path(args.video).stem + ".trackprop" if args.video else "trackprop-project")
    )
    project = Project(folder, tracker=args.tracker, device=args.device)
    if args.video:
        project.open_video(Path(args.video).resolve())
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"trackprop: warning: serving on {args.host} lets anyone who can reach this machine "
            "read and change the project: the GUI has no login.",
            file=sys.stderr,
        )
    print(
        f"trackprop GUI on http://{args.host}:{args.port}/  (project folder: {folder})", flush=True
    )
    uvicorn.run(create_app(project), host=args.host, port=args.port, log_level="warning")


def cmd_demo(args: argparse.Namespace) -> None:
    from trackprop.demo import run_demo

    run_demo(Path(args.out))


TRACKER_HELP = "none, csrt, kcf, mil, medianflow, atom or dasiamrpn"
PROPAGATOR_HELP = (
    "roi-tracker (the paper's), memory (+ matching against annotated frames, added to the "
    "score) or learned-memory (the matching map read by a network trained with it)"
)
DEVICE_HELP = (
    "where the networks run: cpu (default), cpu-bf16 (the CPU, the propagation network in bf16 on "
    "OpenVINO where the CPU computes bf16 natively) or cuda (ONNX Runtime's CUDA provider)"
)
INT8_HELP = (
    "run the propagation network in int8 on the CPU: faster (one object 54-60 against 37-39 "
    "frames/s, four 14-15 against 11-12), masks a little worse (J&F 0.006 lower; README, 'int8')"
)


def add_training_args(parser: argparse.ArgumentParser, steps: int, batch: int, lr: float) -> None:
    parser.add_argument("--data", required=True, help="DAVIS root with the training split")
    parser.add_argument("--split", default="train")
    parser.add_argument("--val", required=True, help="DAVIS root with the validation split")
    parser.add_argument("--val-split", default="val")
    parser.add_argument(
        "--out", required=True, help="checkpoint (.pt); resumes from <out>.state.pt"
    )
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument(
        "--threads", type=int, default=2, help="torch threads (1 when two trainings share 2 cores)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes that read the videos and cut the batches (0: the training's own; "
        "on a GPU, the cores left over)",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        help="end the schedule at this wall time if the steps are not done by then",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="the training samples' random stream: one recipe run again with another draw",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trackprop",
        description="Interactive video object segmentation: scribbles, tracker-guided propagation.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the main job on a built-in example (no fetch)")
    demo.add_argument("--out", default="demo_out", help="output folder")
    demo.set_defaults(func=cmd_demo)

    data = commands.add_parser("data", help="fetch imagery, composite videos, preview them")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    fetch = data_commands.add_parser("fetch", help="download raw imagery into the cache")
    fetch.add_argument("--cache", help="cache folder (default: $TRACKPROP_CACHE or XDG cache)")
    fetch.set_defaults(func=cmd_data_fetch)

    synth = data_commands.add_parser("synth", help="write composited videos in DAVIS format")
    synth.add_argument("--out", required=True, help="DAVIS root to write into")
    synth.add_argument("--videos", type=int, default=60)
    synth.add_argument("--frames", type=int, default=50)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--split", choices=["train", "val"], default="train")
    synth.add_argument("--height", type=int, default=480)
    synth.add_argument("--width", type=int, default=854)
    synth.add_argument("--workers", type=int, default=2, help="processes")
    synth.add_argument("--cache", help="cache folder of 'data fetch'")
    synth.add_argument(
        "--cartoon-objects",
        type=float,
        default=0.0,
        help="share of the annotated objects drawn from the cartoon stamps (0-1)",
    )
    synth.add_argument(
        "--more-backgrounds",
        action="store_true",
        help="train split: also the training-only wallpapers (val never sees them)",
    )
    synth.set_defaults(func=cmd_data_synth)

    pack = data_commands.add_parser(
        "pack", help="a split's imagery, small, for 'synth --cache' on a machine without a registry"
    )
    pack.add_argument("--out", required=True, help="folder to write")
    pack.add_argument("--split", choices=["train", "val"], default="train")
    pack.add_argument("--cache", help="cache folder of 'data fetch'")
    pack.set_defaults(func=cmd_data_pack)

    preview = data_commands.add_parser("preview", help="contact sheet of frames with masks")
    preview.add_argument("root", help="DAVIS root")
    preview.add_argument("--out", required=True, help="PNG to write")
    preview.add_argument("--split", help="split to show (default: the first listed)")
    preview.add_argument("--sequences", type=int, default=6)
    preview.add_argument("--columns", type=int, default=5)
    preview.set_defaults(func=cmd_data_preview)

    batch = commands.add_parser("batch", help="propagate many videos: local processes or Ray")
    batch.add_argument("jobs", help="a DAVIS root (every sequence) or a JSON-lines file of jobs")
    batch.add_argument("--out", required=True, help="output folder: OUT/NAME/ per video")
    batch.add_argument(
        "--format", default="davis", help="comma list of davis, png, coco-rle, mp4, alpha"
    )
    batch.add_argument(
        "--tracker", default=DEFAULT_TRACKER, help=TRACKER_HELP + " (a job may name its own)"
    )
    batch.add_argument("--propagator", default=DEFAULT_PROPAGATOR, help=PROPAGATOR_HELP)
    batch.add_argument("--workers", type=int, default=0, help="local processes (0: one per core)")
    batch.add_argument("--threads", type=int, default=0, help="per video (0: cores / workers)")
    batch.add_argument("--device", default="cpu", help=DEVICE_HELP)
    batch.add_argument("--int8", action="store_true", help=INT8_HELP)
    batch.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        help="run as Ray tasks on an existing cluster (ADDRESS, default: the one found)",
    )
    batch.set_defaults(func=cmd_batch)

    propagate = commands.add_parser("propagate", help="propagate a mask through a video")
    propagate.add_argument("video", help="video file or folder of frames")
    propagate.add_argument("--mask", help="label-map PNG (DAVIS indexed, or grey ids)")
    propagate.add_argument("--scribbles", help="DAVIS scribble JSON (instead of --mask)")
    propagate.add_argument("--clicks", help='JSON {"1": [[x, y, 1], [x, y, 0]], ...} in pixels')
    propagate.add_argument("--boxes", help='JSON {"1": [x0, y0, x1, y1], ...} in pixels')
    propagate.add_argument(
        "--frame",
        type=int,
        help="the prompt's frame (default: the first scribbled frame for scribbles, else 0)",
    )
    propagate.add_argument("--tracker", default=DEFAULT_TRACKER, help=TRACKER_HELP)
    propagate.add_argument("--propagator", default=DEFAULT_PROPAGATOR, help=PROPAGATOR_HELP)
    propagate.add_argument("--out", required=True, help="output folder")
    propagate.add_argument(
        "--format", default="davis", help="comma list of davis, png, coco-rle, mp4, alpha"
    )
    propagate.add_argument(
        "--feather", type=int, default=0, help="px of soft edge of the alpha cut-outs"
    )
    propagate.add_argument(
        "--overwrite", action="store_true", help="clear OUT first if it holds another run or files"
    )
    propagate.add_argument("--threads", type=int, default=2, help="CPU threads of each library")
    propagate.add_argument("--device", default="cpu", help=DEVICE_HELP)
    propagate.add_argument("--int8", action="store_true", help=INT8_HELP)
    propagate.add_argument(
        "--keyframe-every",
        type=int,
        default=100,
        help="frames between the states a killed run resumes from (each restarts the trackers)",
    )
    propagate.set_defaults(func=cmd_propagate)

    serve = commands.add_parser("serve", help="the browser GUI")
    serve.add_argument("video", nargs="?", help="video file or folder of frames to open")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: this machine only)"
    )
    serve.add_argument("--project", help="project folder (autosaved; reopened when it exists)")
    serve.add_argument("--tracker", default=DEFAULT_TRACKER, help=TRACKER_HELP)
    serve.add_argument("--device", default="cpu", help=DEVICE_HELP)
    serve.set_defaults(func=cmd_serve)

    evaluate = commands.add_parser("eval", help="evaluate on the DAVIS interactive protocol")
    eval_commands = evaluate.add_subparsers(dest="eval_command", required=True, metavar="PROTOCOL")
    interactive = eval_commands.add_parser(
        "interactive", help="AUC and J&F@60s with the DAVIS robot"
    )
    interactive.add_argument("--tracker", default=DEFAULT_TRACKER, help=TRACKER_HELP)
    # int8 is a build of the shipped network; a candidate runs as it was built
    network_choice = interactive.add_mutually_exclusive_group()
    network_choice.add_argument(
        "--network", help="a propagation checkpoint (.pt) to evaluate instead of the shipped one"
    )
    network_choice.add_argument("--int8", action="store_true", help=INT8_HELP)
    interactive.set_defaults(func=cmd_eval_interactive)
    ablation = eval_commands.add_parser(
        "ablation", help="the interactive evaluation once per tracker"
    )
    ablation.set_defaults(func=cmd_eval_ablation)
    for kind, words in (
        ("clicks", "the iterative click robot: NoC@85/90, mIoU, J&F"),
        ("boxes", "ground-truth first-frame boxes, then propagation: J&F"),
    ):
        prompt = eval_commands.add_parser(kind, help=words)
        prompt.add_argument("--root", required=True, help="DAVIS root")
        prompt.add_argument("--subset", default="val")
        prompt.add_argument("--tracker", default=DEFAULT_TRACKER, help=TRACKER_HELP)
        prompt.add_argument("--threads", type=int, default=2, help="CPU threads of each library")
        prompt.add_argument("--device", default="cpu", help=DEVICE_HELP)
        prompt.add_argument("--propagator", default=DEFAULT_PROPAGATOR, help=PROPAGATOR_HELP)
        prompt.add_argument("--int8", action="store_true", help=INT8_HELP)
        prompt.add_argument("--report", required=True, help="folder for summary.json")
        prompt.set_defaults(func=cmd_eval_prompts)
    for protocol in (interactive, ablation):
        protocol.add_argument(
            "--root", required=True, help="DAVIS root (composited or real DAVIS 2017)"
        )
        protocol.add_argument("--subset", default="val")
        protocol.add_argument("--rounds", type=int, default=8)
        protocol.add_argument("--time-per-object", type=float, default=30)
        protocol.add_argument("--threads", type=int, default=2, help="CPU threads of each library")
        protocol.add_argument("--device", default="cpu", help=DEVICE_HELP)
        protocol.add_argument("--propagator", default=DEFAULT_PROPAGATOR, help=PROPAGATOR_HELP)
        protocol.add_argument(
            "--report", required=True, help="folder for the report, tables and plot"
        )

    train = commands.add_parser("train", help="train the networks on a DAVIS-format set")
    train_commands = train.add_subparsers(dest="train_command", required=True, metavar="NETWORK")
    propagation = train_commands.add_parser("propagation", help="the 4-channel propagation network")
    propagation.add_argument(
        "--memory",
        action="store_true",
        help="5 channels: + the matching map against an annotated frame (learned-memory)",
    )
    propagation.add_argument(
        "--own-errors",
        type=float,
        nargs="?",
        const=0.5,
        default=0.0,
        metavar="SHARE",
        help="this share (alone: half) of the previous masks and ROIs are the shipped "
        "propagator's own, 1-5 frames on",
    )
    propagation.add_argument(
        "--box-jitter",
        type=float,
        help="the simulated tracker's error (shift and log-scale, a fraction of the box's size) "
        "in training samples; default: PAIRS in train/propagation.py",
    )
    propagation.add_argument(
        "--revealed",
        type=float,
        default=0.0,
        help="share of training samples whose previous mask shows one side of the object only "
        "(it was half hidden and comes out whole)",
    )
    propagation.add_argument(
        "--twins",
        type=float,
        default=0.0,
        help="share of training samples with a copy of the object pasted beside it, as "
        "background (a look-alike the mask must not drift onto)",
    )
    propagation.add_argument(
        "--refind",
        type=float,
        default=0.0,
        help="share of training samples whose object was lost 4-15 frames ago and is searched "
        "for where it was last seen, as inference searches",
    )
    propagation.add_argument(
        "--boundary-weight",
        type=float,
        default=0.0,
        help="the loss weighs pixels within 3 px of the target's edge by 1 + this",
    )
    propagation.set_defaults(func=cmd_train_propagation)
    interaction = train_commands.add_parser("interaction", help="a scribble-to-mask network")
    interaction.add_argument(
        "--round", choices=["first", "refine"], required=True, help="first: 4 channels; refine: 5"
    )
    interaction.add_argument(
        "--own-errors",
        action="store_true",
        help="refine: half the earlier masks are the shipped networks' own after 1-3 robot clicks",
    )
    interaction.add_argument(
        "--prompt-weight",
        type=float,
        default=0.0,
        help="the loss weighs pixels by 1 + this x |guidance|: most where the prompts are",
    )
    interaction.set_defaults(func=cmd_train_interaction)
    atom = train_commands.add_parser("atom", help="ATOM's backbone and IoU net (tracker)")
    dasiamrpn = train_commands.add_parser(
        "dasiamrpn", help="the DaSiamRPN Siamese network (tracker)"
    )
    for tracker in (atom, dasiamrpn):
        tracker.set_defaults(func=cmd_train_tracker)
        add_training_args(tracker, steps=4000, batch=16, lr=2e-3)
    for network in (propagation, interaction):
        add_training_args(network, steps=3000, batch=8, lr=1e-3)
        network.add_argument(
            "--encoder", default="efficientnet-lite0", help="ImageNet-pretrained where packaged"
        )
        network.add_argument("--size", type=int, default=192, help="network input side")
        network.add_argument(
            "--init", help="checkpoint (.pt) to train further instead of starting from ImageNet"
        )
        network.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
        network.add_argument(
            "--int8-aware",
            action="store_true",
            help="fine-tune with int8 rounding simulated (batch norms folded): for a network "
            "that runs in int8 (train/quantization_aware.py)",
        )
        network.add_argument(
            "--ema",
            type=float,
            default=0.0,
            help="ship an exponential moving average of the weights with this decay per step "
            "(e.g. 0.998) instead of the last step's",
        )
        network.add_argument(
            "--decoder-channels",
            type=int,
            default=0,
            help="the decoder's width (default: the --init network's, else 256); narrower than "
            "the --init network's keeps its strongest channels (train/prune.py)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = args.func(args)
    except TrackpropError as error:
        print(f"trackprop: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # full disk, no permission: said in a line, work done is kept
        where = f"{error.filename}: " if error.filename else ""
        print(f"trackprop: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("trackprop: interrupted", file=sys.stderr)
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
