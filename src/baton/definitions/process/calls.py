"""``call`` (http, openapi) with its authentication, and ``run`` (shell,
script)."""

from __future__ import annotations

from typing import Any

from .shapes import Shapes
from .syntax import AUTHENTICATIONS, _escape
from .tree import CallTask, RunTask, Task


class CallTasks(Shapes):
    def _call(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "call", ("with",))
        function = str(spec["call"])
        arguments = self.mapping(spec.get("with", {}), f"{pointer}/with", "with") or {}
        at = f"{pointer}/with"
        authentication = None
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
        if process == "workflow":
            self.problem(
                f"{at}/workflow",
                f"task {name!r} uses run: workflow; Baton does not run sub-workflows by reference yet",
            )
            return None
        if body.get("await", True) is not True:
            self.problem(
                f"{at}/await", "await: false is not supported yet (Baton waits for what it runs)"
            )
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
            **base,
        )
