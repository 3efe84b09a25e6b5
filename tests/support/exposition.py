"""Parses Prometheus text exposition into families (type, label names) and series."""
import re

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Exposition:
    def __init__(self, text):
        self.types = {}      # family -> type
        self.series = {}     # (name, frozenset(labels.items())) -> value
        self.label_names = {}  # family -> set of label-name tuples seen
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(None, 3)
                self.types[name] = kind
                continue
            if not line or line.startswith("#"):
                continue
            match = _SAMPLE.match(line)
            if not match:
                raise ValueError(f"unparseable line: {line!r}")
            name, labels_text, value = match.group(1), match.group(3) or "", match.group(4)
            labels = dict(_LABEL.findall(labels_text))
            self.series[(name, frozenset(labels.items()))] = float(value)
            family = self._family_of(name)
            self.label_names.setdefault(family, set()).add(
                tuple(sorted(k for k in labels if k not in ("le", "quantile"))))

    def _family_of(self, name):
        if name in self.types:
            return name
        for suffix in ("_bucket", "_count", "_sum"):
            if name.endswith(suffix) and name[: -len(suffix)] in self.types:
                return name[: -len(suffix)]
        return name

    def value(self, name, **labels):
        return self.series.get((name, frozenset(labels.items())))

    def names(self, prefix=""):
        return {name for name, _ in self.series if name.startswith(prefix)}
