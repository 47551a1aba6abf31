"""The command line, one module per group of commands: `commands` (the parser, `main`, extract, crawl and
the read-outs), `config` (check-config), `daemon` (run), `subscribers` (subscribers, digest), `web` (serve)
and `demo`. The only place that configures logging and turns errors into exit codes."""

from watcher.cli.commands import build_parser, main, read_article

__all__ = ["build_parser", "main", "read_article"]
