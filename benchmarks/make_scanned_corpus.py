"""Make a scanned copy of the bundled corpus: every document printed and scanned or photographed.

Each source in corpus_sources/ is rendered to its PDF (scripts/build_corpus.py: the bundled PDFs
as they are, the DOCX, Markdown, text and HTML documents as if printed from the same text),
then every page is rendered to an image with poppler's pdftoppm and degraded the way paper
gets: documents take turns being

- "scan300":  a clean 300-dpi office scan, as an image-only PDF;
- "scan150":  a 150-dpi scan with speckle noise, a slight skew and JPEG compression, as an
              image-only PDF;
- "tiff":     a 300-dpi multi-page TIFF with a slight skew;
- "photo":    phone photographs (uneven light, perspective, blur, JPEG), one .jpg for a
              one-page document, a PDF of photos otherwise;

and one PDF keeps its first page's text layer with the rest scanned (a "mixed" PDF), one has
a page scanned upside down. Sidecars carry each document's metadata (a clerk filing the scan
would type it); the knowledge map is copied. --pages writes single-page samples at 150 and
300 dpi of every variant for the character-error table instead (benchmarks/bench_ocr.py).

    .venv/bin/python benchmarks/make_scanned_corpus.py OUT_DIR
    .venv/bin/python benchmarks/make_scanned_corpus.py --pages N OUT_DIR
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import build_corpus  # noqa: E402

VARIANTS = ("scan300", "scan150", "tiff", "photo")


def render_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    """The pages of a PDF as grey images at dpi (pdftoppm)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(src), f"{tmp}/p"], check=True)
        pages = []
        for path in sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1])):
            with Image.open(path) as image:
                pages.append(image.copy())
        return pages


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).copy()


def speckle(image: Image.Image, rnd: random.Random, share: float) -> Image.Image:
    """Dust and toner specks: a share of the pixels set black or white."""
    image = image.copy()
    px = image.load()
    for _ in range(int(image.width * image.height * share)):
        px[rnd.randrange(image.width), rnd.randrange(image.height)] = rnd.choice((0, 255))
    return image


def skew(image: Image.Image, degrees: float) -> Image.Image:
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def photo(image: Image.Image, rnd: random.Random) -> Image.Image:
    """A phone photograph of a page: perspective, uneven light, grey paper, blur, JPEG."""
    w, h = image.size
    d = 0.03
    quad = (  # corners of the page as the camera saw it (upper-left, lower-left, ...)
        rnd.uniform(0, d) * w, rnd.uniform(0, d) * h,
        rnd.uniform(0, d) * w, h - rnd.uniform(0, d) * h,
        w - rnd.uniform(0, d) * w, h - rnd.uniform(0, d) * h,
        w - rnd.uniform(0, d) * w, rnd.uniform(0, d) * h,
    )
    image = image.transform((w, h), Image.Transform.QUAD, quad,
                            resample=Image.Resampling.BICUBIC, fillcolor=255)
    image = image.rotate(rnd.uniform(-2.0, 2.0), resample=Image.Resampling.BICUBIC,
                         fillcolor=200)
    # light falling off from one corner: multiply by a soft gradient (255 -> ~170)
    gradient = Image.linear_gradient("L").resize((w, h)).rotate(rnd.choice((0, 90, 180, 270)))
    light = gradient.point(lambda v: 255 - v // 3)
    image = ImageChops.multiply(image, light)
    image = image.filter(ImageFilter.GaussianBlur(0.9))
    return jpeg(image, 55)


def degrade(pages: list[Image.Image], variant: str, rnd: random.Random) -> list[Image.Image]:
    if variant == "scan300":
        return pages
    if variant == "scan150":
        return [jpeg(speckle(skew(p, rnd.uniform(-1.5, 1.5)), rnd, 0.002), 60) for p in pages]
    if variant == "tiff":
        return [skew(p, rnd.uniform(-1.0, 1.0)) for p in pages]
    if variant == "photo":
        return [photo(p, rnd) for p in pages]
    raise ValueError(variant)


DPI = {"scan300": 300, "scan150": 150, "tiff": 300, "photo": 200}


def save(pages: list[Image.Image], variant: str, folder: Path, stem: str) -> Path:
    """Write the pages as the file a municipality would have for this variant."""
    if variant == "tiff":
        path = folder / f"{stem}.tif"
        pages[0].save(path, save_all=True, append_images=pages[1:], compression="tiff_lzw",
                      dpi=(DPI[variant], DPI[variant]))
    elif variant == "photo" and len(pages) == 1:
        path = folder / f"{stem}.jpg"
        pages[0].save(path, "JPEG", quality=80)
    else:
        path = folder / f"{stem}.pdf"
        pages[0].save(path, "PDF", save_all=True, append_images=pages[1:],
                      resolution=float(DPI[variant]))
    return path


def mixed_pdf(text_pdf: bytes, scans: list[Image.Image], path: Path) -> None:
    """Page 1 with its text layer, the other pages scanned (pdfseparate/pdfunite, poppler)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "doc.pdf").write_bytes(text_pdf)
        subprocess.run(["pdfseparate", "-f", "1", "-l", "1", f"{tmp}/doc.pdf", f"{tmp}/first.pdf"],
                       check=True)
        scans[0].save(f"{tmp}/rest.pdf", "PDF", save_all=True, append_images=scans[1:],
                      resolution=300.0)
        subprocess.run(["pdfunite", f"{tmp}/first.pdf", f"{tmp}/rest.pdf", str(path)], check=True)


def make_corpus(out: Path) -> dict:
    """The scanned corpus in out; returns {original corpus path: scanned corpus path}."""
    sources = [build_corpus.read_source(p) for p in build_corpus.find_sources()]
    rnd = random.Random(2569)
    mapping = {}
    for n, source in enumerate(sources):
        folder = out / source.division
        folder.mkdir(parents=True, exist_ok=True)
        pdf = build_corpus.render_pdf(source)
        variant = VARIANTS[n % len(VARIANTS)]
        pages = degrade(render_pages(pdf, DPI[variant]), variant, rnd)
        if n == 1 and len(pages) > 1:  # one page scanned upside down
            pages[1] = pages[1].rotate(180)
        if n == 4 and len(pages) > 1:
            path = folder / f"{source.stem}.pdf"
            mixed_pdf(pdf, pages[1:], path)
            variant = "mixed"
        else:
            path = save(pages, variant, folder, source.stem)
        (folder / f"{path.name}.meta.yaml").write_bytes(build_corpus.render_sidecar(source))
        mapping[source.relpath] = {"path": f"{source.division}/{path.name}", "variant": variant,
                                   "pages": len(pages)}
        print(f"{variant:8} {len(pages)} pages  {source.division}/{path.name}", flush=True)
    shutil.copy(REPO / "corpus" / "knowledge-map.csv", out / "knowledge-map.csv")
    (out / "scans.json").write_text(json.dumps(mapping, ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    return mapping


def make_pages(out: Path, count: int) -> None:
    """Single-page samples: page 1 of `count` documents, each variant at 150 and 300 dpi,
    with the reference text of the page (pdftotext) beside it."""
    sources = [build_corpus.read_source(p) for p in build_corpus.find_sources()]
    step = max(1, len(sources) // count)
    rnd = random.Random(2569)
    out.mkdir(parents=True, exist_ok=True)
    for source in sources[::step][:count]:
        pdf = build_corpus.render_pdf(source)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "doc.pdf").write_bytes(pdf)
            reference = subprocess.run(["pdftotext", "-f", "1", "-l", "1", f"{tmp}/doc.pdf", "-"],
                                       capture_output=True, text=True, check=True).stdout
        (out / f"{source.stem}.txt").write_text(reference, encoding="utf-8")
        for dpi in (150, 300):
            page = render_pages(pdf, dpi)[:1]
            for variant in ("scan300", "scan150", "photo"):  # clean, noisy+skewed+JPEG, photo
                name = {"scan300": "clean", "scan150": "noisy", "photo": "photo"}[variant]
                image = degrade(page, variant, rnd)[0]
                image.save(out / f"{source.stem}@{dpi}-{name}.png", dpi=(dpi, dpi))
        print(f"page 1 of {source.relpath}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=0,
                        help="write single-page samples of this many documents instead")
    args = parser.parse_args(argv)
    if args.pages:
        make_pages(args.out, args.pages)
    else:
        make_corpus(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
