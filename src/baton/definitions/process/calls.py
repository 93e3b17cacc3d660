"""``call`` (http, openapi) with its authentication, and ``run`` (shell,
script)."""

from __future__ import annotations

from typing import Any

from .shapes import Shapes
from .syntax import AUTHENTICATIONS, MCP_METHODS, _escape
from .tree import CallTask, RunTask, Task


class CallTasks(Shapes):
    def _call(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "call", ("with",))
        function = str(spec["call"])
        arguments = self.mapping(spec.get("with", {}), f"{pointer}/with", "with") or {}
        at = f"{pointer}/with"
        authentication = None
        if function == "mcp":
            return self._mcp(name, pointer, arguments, base)
        if function == "http":
            self.keys(
                arguments,
                at,
                ("method", "endpoint", "headers", "body", "query", "output", "redirect"),
                "call: http",
            )
            for required in ("method", "endpoint"):
                if required not in arguments:
                    self.problem(at, f"call: http needs {required!r}")
            authentication = self.endpoint(arguments.get("endpoint"), f"{at}/endpoint")
        else:
            self.keys(
                arguments,
                at,
                ("document", "operationId", "parameters", "authentication", "output", "redirect"),
                "call: openapi",
            )
            for required in ("document", "operationId"):
                if required not in arguments:
                    self.problem(at, f"call: openapi needs {required!r}")
            document = (
                self.mapping(arguments.get("document", {}), f"{at}/document", "document") or {}
            )
            self.keys(document, f"{at}/document", ("name", "endpoint"), "document")
            if "endpoint" not in document:
                self.problem(f"{at}/document", "document needs 'endpoint'")
            self.endpoint(document.get("endpoint"), f"{at}/document/endpoint")
            if "authentication" in arguments:
                authentication = self.authentication(
                    arguments["authentication"], f"{at}/authentication"
                )
        output = arguments.get("output", "content")
        if output not in ("content", "response", "raw"):
            self.problem(f"{at}/output", "output must be content, response or raw")
        return CallTask(
            name,
            pointer,
            "call",
            function=function,
            arguments=dict(arguments),
            authentication=authentication,
            **base,
        )

    def _mcp(
        self, name: str, pointer: str, arguments: dict[str, Any], base: dict[str, Any]
    ) -> Task:
        """``call: mcp``: a method of an MCP server reached over HTTP or
        started over stdio."""
        at = f"{pointer}/with"
        self.keys(
            arguments,
            at,
            ("protocolVersion", "method", "parameters", "timeout", "transport", "client"),
            "call: mcp",
        )
        method = arguments.get("method")
        if method not in MCP_METHODS:
            self.problem(f"{at}/method", f"method must be one of {', '.join(MCP_METHODS)}")
        transport = self.mapping(arguments.get("transport"), f"{at}/transport", "transport") or {}
        self.keys(transport, f"{at}/transport", ("http", "stdio", "options"), "transport")
        kinds = [k for k in ("http", "stdio") if k in transport]
        if len(kinds) != 1:
            self.problem(f"{at}/transport", "transport needs exactly one of http, stdio")
        where = f"{at}/transport/{kinds[0]}" if kinds else f"{at}/transport"
        channel = self.mapping(transport.get(kinds[0]) if kinds else {}, where, "transport") or {}
        if kinds == ["http"]:
            self.keys(channel, where, ("endpoint", "headers"), "an http transport")
            if "endpoint" not in channel:
                self.problem(where, "an http transport needs 'endpoint'")
            elif not isinstance(channel["endpoint"], str):
                self.endpoint(channel["endpoint"], f"{where}/endpoint")
        elif kinds == ["stdio"]:
            self.keys(channel, where, ("command", "arguments", "environment"), "a stdio transport")
            if not isinstance(channel.get("command"), str):
                self.problem(where, "a stdio transport needs 'command' (a string)")
        timeout = None
        if "timeout" in arguments:
            timeout = self.duration(arguments["timeout"], f"{at}/timeout")
        return CallTask(
            name,
            pointer,
            "call",
            function="mcp",
            arguments={**arguments, "timeout": timeout},
            **base,
        )

    def endpoint(self, value: Any, pointer: str) -> dict[str, Any] | None:
        """An endpoint's authentication, if any (its URI is checked here)."""
        if isinstance(value, str):
            return None
        spec = self.mapping(value, pointer, "an endpoint")
        if spec is None:
            return None
        self.keys(spec, pointer, ("uri", "authentication"), "an endpoint")
        if "uri" not in spec or not isinstance(spec["uri"], str):
            self.problem(pointer, "an endpoint needs 'uri' (a string)")
        if "authentication" in spec:
            return self.authentication(spec["authentication"], f"{pointer}/authentication")
        return None

    def authentication(self, value: Any, pointer: str) -> dict[str, Any] | None:
        spec = self.mapping(value, pointer, "an authentication")
        if spec is None:
            return None
        if set(spec) == {"use"}:
            found = self.referenced(
                "authentications", "authentication", str(spec["use"]), f"{pointer}/use"
            )
            if found is None:
                return None
            spec, pointer = found
            spec = self.mapping(spec, pointer, "an authentication") or {}
        kinds = [k for k in spec if k in AUTHENTICATIONS]
        unknown = [k for k in spec if k not in AUTHENTICATIONS]
        if unknown:
            self.problem(
                f"{pointer}/{_escape(unknown[0])}",
                f"authentication {unknown[0]!r} is not supported yet (Baton sends basic and bearer)",
            )
            return None
        if len(kinds) != 1:
            self.problem(pointer, "an authentication needs exactly one of basic, bearer")
            return None
        return dict(spec)

    def _run(
        self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]
    ) -> Task | None:
        self._own_keys(spec, pointer, "run")
        at = f"{pointer}/run"
        body = self.mapping(spec["run"], at, "run") or {}
        processes = [k for k in ("shell", "script", "workflow", "container") if k in body]
        self.keys(body, at, ("shell", "script", "workflow", "container", "await", "return"), "run")
        if len(processes) != 1:
            self.problem(at, "run needs exactly one of shell, script, workflow, container")
            return None
        process = processes[0]
        if process == "container":
            self.problem(
                f"{at}/container",
                f"task {name!r} uses run: container; Baton runs no container engine (use run: shell, or call a service)",
            )
            return None
        awaited = body.get("await", True)
        if not isinstance(awaited, bool):
            self.problem(f"{at}/await", "await must be true or false")
            awaited = True
        if process == "workflow":
            return self._run_workflow(name, body, pointer, base, awaited)
        returns = body.get("return", "stdout")
        if returns not in ("stdout", "stderr", "code", "all", "none"):
            self.problem(f"{at}/return", "return must be stdout, stderr, code, all or none")
        where = f"{at}/{process}"
        spec_ = self.mapping(body[process], where, process) or {}
        if process == "shell":
            self.keys(spec_, where, ("command", "arguments", "environment", "stdin"), "run: shell")
            if "command" not in spec_:
                self.problem(where, "run: shell needs 'command'")
            code, language = spec_.get("command", ""), None
        else:
            self.keys(
                spec_,
                where,
                ("language", "code", "source", "arguments", "environment", "stdin"),
                "run: script",
            )
            language = spec_.get("language")
            if language not in ("python", "js"):
                self.problem(
                    f"{where}/language", f"language {language!r}: Baton runs python and js scripts"
                )
            if "source" in spec_:
                self.problem(
                    f"{where}/source",
                    "a script from an external source is not supported yet; inline it as code",
                )
            elif "code" not in spec_:
                self.problem(where, "run: script needs 'code'")
            code = spec_.get("code", "")
        arguments = spec_.get("arguments")
        if isinstance(arguments, dict):
            self.problem(
                f"{where}/arguments",
                "arguments as a map are not supported yet; give a list (the command's or script's argv)",
            )
        elif arguments is not None and not isinstance(arguments, list):
            self.problem(f"{where}/arguments", "arguments must be a list")
        return RunTask(
            name,
            pointer,
            "run",
            process=process,
            code=code,
            language=language,
            arguments=arguments,
            environment=spec_.get("environment"),
            stdin=spec_.get("stdin"),
            returns=str(returns),
            await_=awaited,
            **base,
        )

    def _run_workflow(
        self, name: str, body: dict[str, Any], pointer: str, base: dict[str, Any], awaited: bool
    ) -> Task:
        where = f"{pointer}/run/workflow"
        if "return" in body:
            self.problem(f"{pointer}/run/return", "return goes with shell and script, not workflow")
        spec = self.mapping(body["workflow"], where, "run: workflow") or {}
        self.keys(spec, where, ("namespace", "name", "version", "input"), "run: workflow")
        reference: dict[str, str] = {}
        for key in ("namespace", "name", "version"):
            if key not in spec and key != "version":
                self.problem(where, f"run: workflow needs {key!r}")
                continue
            value = self.string(spec.get(key, "latest"), f"{where}/{key}", key)
            reference[key] = value or ""
        return RunTask(
            name,
            pointer,
            "run",
            process="workflow",
            workflow=reference,
            workflow_input=spec.get("input"),
            await_=awaited,
            **base,
        )
