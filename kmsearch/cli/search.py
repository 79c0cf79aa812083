"""CLI commands index, search and serve (see CLI-CONTRACT.md)."""

from __future__ import annotations

import json
import sys

import click


def _index_command(group: click.Group) -> None:
    from kmsearch.cli.context import pass_ctx

    @group.command("index")
    @click.argument("paths", nargs=-1, required=True, type=click.Path())
    @click.option("--rebuild", is_flag=True, help="Build a fresh index beside the live one, then swap.")
    @pass_ctx
    def index_cmd(ctx, paths, rebuild):
        """Index files and folders (PDF, DOCX, Markdown, text, HTML; scans and images by OCR)."""
        from kmsearch.engine.indexstore import IndexBusy
        from kmsearch.indexer.run import index_paths

        err = sys.stderr
        bar = None
        if err.isatty():
            bar = click.progressbar(length=1, label="indexing", file=err, show_pos=True)

        def progress(n, total, path, ocr_pages):
            if bar is not None:
                bar.length = total
                if ocr_pages:  # scans take seconds a page: show that pages are moving
                    bar.label = f"indexing ({ocr_pages} scanned pages read)"
                bar.update(1)

        try:
            if bar is not None:
                with bar:
                    report = index_paths(ctx.home, list(paths), rebuild=rebuild, progress=progress)
            else:
                report = index_paths(ctx.home, list(paths), rebuild=rebuild)
        except IndexBusy as e:
            raise click.ClickException(f"{e}; try again when it has finished") from None
        _record_catalogue(ctx.home)
        for problem in report.skipped:
            click.echo(f"{problem.path}: {problem.reason}", err=True)
        for problem in report.failed:
            click.echo(f"error: {problem.path}: {problem.reason}", err=True)
        if report.ocr_read or report.ocr_cached:
            click.echo(f"OCR: {report.ocr_read} scanned pages read, "
                       f"{report.ocr_cached} taken from the cache", err=True)
        if report.ocr_missing and any("needs OCR" in p.reason for p in report.failed):
            click.echo(f"note: {report.ocr_missing}", err=True)
        click.echo(report.summary(), err=True)
        if report.failed:
            sys.exit(1)


def _record_catalogue(home) -> None:
    """Note when each document was first seen (indicator 9.3-1 counts manuals by it).

    The index is already written; a database problem here is reported, not fatal.
    """
    from datetime import UTC, datetime

    from kmsearch.engine.search import NoIndexError, SearchService
    from kmsearch.store import connect, km

    service = SearchService(home)
    try:
        documents = service.documents("staff")
        engine = connect(home.database_url)
        try:
            with engine.begin() as conn:
                km.record_documents_seen(conn, documents, datetime.now(UTC).replace(tzinfo=None))
        finally:
            engine.dispose()
    except NoIndexError:
        pass
    except Exception as e:  # noqa: BLE001 - the index run itself succeeded
        click.echo(f"warning: could not record the document catalogue: {e}", err=True)
    finally:
        service.close()


def _search_command(group: click.Group) -> None:
    from kmsearch.cli.context import pass_ctx

    @group.command("search")
    @click.argument("query", nargs=-1)
    @click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
    @click.option("--audience", type=click.Choice(["public", "staff"]), default="staff",
                  show_default=True, help="public searches as a citizen: staff-only documents never appear.")
    @click.option("--division", help="Only documents of this division (ส่วนราชการ).")
    @click.option("--expert", help="Only documents held by this job title.")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
    @click.option("--exact", is_flag=True,
                  help="Search exactly what was typed: no correction is applied in its place.")
    @pass_ctx
    def search_cmd(ctx, query, limit, audience, division, expert, as_json, exact):
        """Search the knowledge base in Thai (or English terms)."""
        from kmsearch.engine.search import EmptyQueryError, NoIndexError, SearchService

        text = " ".join(query)
        service = SearchService(ctx.home)
        try:
            result = service.search(
                text, audience=audience, division=division, expert=expert, pagelen=limit, exact=exact
            )
        except EmptyQueryError as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(2)
        except NoIndexError as e:
            raise click.ClickException(str(e)) from None
        finally:
            service.close()
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
            return
        _print_readable(result)


def _print_readable(result) -> None:
    from kmsearch.engine.schema import DOC_TYPE_LABELS

    if result.corrected:
        click.echo(f"แสดงผลลัพธ์ของ “{result.searched}”  (ค้นหาตามที่พิมพ์ “{result.query}”: "
                   f"kmsearch search --exact ...)")
    elif result.suggestion:
        click.echo(f"หมายถึง: {result.suggestion} ?")
    if not result.hits:
        click.echo("ไม่พบเอกสารที่ตรงกับคำค้น")
        return
    click.echo(f"พบ {result.total} เอกสาร")
    for rank, hit in enumerate(result.hits, start=1):
        kind = DOC_TYPE_LABELS.get(hit.doc_type, hit.doc_type)
        click.echo("")
        click.echo(click.style(f"{rank}. {hit.title}", bold=True) + f"  [{kind}]")
        click.echo(f"   {hit.division} · {', '.join(hit.expert) or '-'}")
        if hit.superseded_by_title:
            click.echo(f"   ยกเลิกแล้ว: ดูฉบับปัจจุบัน «{hit.superseded_by_title}»")
        if hit.via_terms:
            click.echo(f"   พบจากคำที่ใช้ทั่วไป: {'; '.join(hit.via_terms)}")
        if hit.fallback:
            click.echo("   พบจากข้อความบางส่วน (ไม่ใช่คำที่ตรงกันทั้งคำ)")
        snippet = "".join(f"[{t}]" if m else t for t, m in hit.fragments)
        if snippet:
            click.echo(f"   {snippet}")
        click.echo(f"   {hit.path}")


def _evaluate_command(group: click.Group) -> None:
    from kmsearch.cli.context import pass_ctx

    @group.command("evaluate")
    @click.argument("judgments", type=click.Path(exists=True))
    @click.option("--failures", is_flag=True, help="Also list the queries that missed.")
    @click.option("--follow-suggestions", is_flag=True,
                  help="Also follow a 'did you mean' that was only offered (as a click would).")
    @pass_ctx
    def evaluate_cmd(ctx, judgments, failures, follow_suggestions):
        """Measure search relevance on judged queries (success@1, recall@10, MRR@10)."""
        from kmsearch.engine.evaluation import JudgmentError, evaluate, format_table, load_judgments
        from kmsearch.engine.search import NoIndexError, SearchService

        try:
            items = load_judgments(judgments)
            service = SearchService(ctx.home)
            report = evaluate(service, items, follow_suggestions=follow_suggestions)
        except (JudgmentError, NoIndexError) as e:
            raise click.ClickException(str(e)) from None
        click.echo(format_table(report))
        if failures:
            for o in report.failures():
                j = o.judgment
                click.echo(
                    f"\n[{j.category}/{j.audience}] {j.query!r} -> {o.searched!r}: rr={o.rr:.2f} "
                    f"leaks={o.leaks}\n  want {j.best} (+{len(j.acceptable)})\n  got  "
                    + "\n       ".join(o.ranked[:5])
                )


def _serve_command(group: click.Group) -> None:
    from kmsearch.cli.context import pass_ctx

    @group.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
    @pass_ctx
    def serve_cmd(ctx, host, port):
        """Serve the web front end with waitress (a production WSGI server), one process per
        CPU core (KMSEARCH_SERVER_PROCESSES)."""
        import logging

        from kmsearch.web import create_app
        from kmsearch.web.workers import serve

        def build_app():
            # waitress takes the client address from the trusted proxy itself (web/server.py).
            app = create_app(ctx.home, {"PROXY_FIX": False})
            logging.basicConfig()  # as waitress.serve did: its warnings reach stderr, formatted
            return app

        # SIGTERM (systemd, docker stop) ends the server like Ctrl-C: waitress finishes the
        # requests in flight, then the access-log rows still queued are written.
        status = serve(ctx.home, host, port, build_app, ctx.home.server_processes,
                       announce=lambda line: click.echo(line, err=True))
        sys.exit(status)


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
    _index_command(group)
    _search_command(group)
    _evaluate_command(group)
    _serve_command(group)
