"""Disruption scenarios: a TOML file -> a vectorised Monte Carlo of magnet shortfalls.

Model (docs/risk.md explains every term and default). For path p, importer i,
sector s and month t (t = 0 is the scenario's first month):

* China supply level L[p,i,t] (fraction of the importer's baseline monthly imports
  from China): 1 - c before the licence delay d ends, 1 - c*(1 - r) after it (a share
  r of the withheld flow is licensed), 1 after the regime ends (``duration_months``);
  monthly averages of that step function. c, d, r are drawn per path and importer.
* Demand D = (1+g)^(t/12) * (1 - substitution from its start month); alternatives A
  (new non-Chinese capacity, ramped linearly) add supply. Everything is a fraction of
  the baseline B[i]; the sector split w[i,s] allocates supply and demand pro rata.
* Gap = B*w*(D - L - A/B); inventory (cover weeks drawn per path, importer and
  sector) meets the gap until it runs out and refills from any surplus up to its
  starting level; what inventory cannot meet is the shortfall in tonnes.
* Time-to-survive (TTS): months until inventory runs out (fractional within the
  month). Time-to-recover (TTR): the first whole month whose supply (China +
  alternatives) meets demand again. Both are capped at the horizon (censored).

Draws are made for all paths up front in a fixed order, so the numbers depend only
on the seed and the path count, never on the chunk size; the time loop runs over
chunks of paths to bound memory.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from magwatch.analytics import figures
from magwatch.analytics.reader import Reader
from magwatch.codes import MAGNET_LINE, is_known
from magwatch.errors import InputError, NoDataError, ParameterError
from magwatch.frame import Answer
from magwatch.periods import Month
from magwatch.risk.citations import Cited, number, reference_rows
from magwatch.risk.exposure import Intensity, check_split, default_split, intensities

WEEKS_PER_MONTH = 52.0 / 12.0
QUANTILES = (0.1, 0.5, 0.9)
#: P10/P50/P90 are order statistics of the simulated paths (inverted empirical CDF).
QUANTILE_METHOD = "inverted_cdf"
SCENARIO_DIR = Path(__file__).with_name("scenarios")
#: The line an observed baseline reads: China's rare-earth permanent magnets.
BASELINE_COMMODITY = MAGNET_LINE


# -- the numeric model ---------------------------------------------------------------------

@dataclass
class Alternative:
    """New non-Chinese supply that can fill an importer's gap."""

    importer: int
    tonnes_per_month: float          # capacity / 12
    start: float                     # months after the scenario start (may be negative)
    ramp_low: float
    ramp_high: float
    share_low: float                 # share of capacity available to this gap
    share_high: float


@dataclass
class Model:
    """The resolved numbers a simulation needs (all arrays indexed importer, sector)."""

    importers: list[str]
    sectors: list[str]
    months: int
    baseline: np.ndarray             # (I,) t/month imports from China before the cut
    split: np.ndarray                # (I,S) sector shares
    cut_low: np.ndarray              # (I,)
    cut_high: np.ndarray
    cover_low: np.ndarray            # (I,S) weeks
    cover_high: np.ndarray
    delay_low: float = 0.0           # licence delay in working days (triangular)
    delay_mode: float = 0.0
    delay_high: float = 0.0
    working_days_per_month: float = 21.0
    restored_low: float = 0.0
    restored_high: float = 0.0
    duration: float = math.inf       # months until the regime ends fully
    growth: float = 0.0              # demand growth per year (fraction)
    subst_low: float = 0.0
    subst_high: float = 0.0
    subst_from: int = 0
    alternatives: list[Alternative] = field(default_factory=list)


@dataclass
class Draws:
    cut: np.ndarray                  # (P,I)
    delay: np.ndarray                # (P,I) months
    restored: np.ndarray             # (P,I)
    cover: np.ndarray                # (P,I,S) weeks
    subst: np.ndarray                # (P,)
    alt_ramp: np.ndarray             # (P,K)
    alt_share: np.ndarray            # (P,K)


def _uniform(rng: np.random.Generator, low, high, size) -> np.ndarray:
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    return low + (high - low) * rng.random(size)


def draw(model: Model, paths: int, seed: int) -> Draws:
    """All random inputs for ``paths`` paths, in a fixed order (reproducible for a seed)."""
    rng = np.random.default_rng(seed)
    n_i, n_s, n_k = len(model.importers), len(model.sectors), len(model.alternatives)
    cut = _uniform(rng, model.cut_low, model.cut_high, (paths, n_i))
    if model.delay_high > model.delay_low:
        u = rng.random((paths, n_i))
        lo, mo, hi = model.delay_low, model.delay_mode, model.delay_high
        fc = (mo - lo) / (hi - lo)
        wd = np.where(u < fc, lo + np.sqrt(u * (hi - lo) * (mo - lo)),
                      hi - np.sqrt((1 - u) * (hi - lo) * (hi - mo)))
    else:
        rng.random((paths, n_i))
        wd = np.full((paths, n_i), model.delay_low)
    delay = wd / model.working_days_per_month
    restored = _uniform(rng, model.restored_low, model.restored_high, (paths, n_i))
    cover = _uniform(rng, model.cover_low, model.cover_high, (paths, n_i, n_s))
    subst = _uniform(rng, model.subst_low, model.subst_high, (paths,))
    ramp = np.empty((paths, n_k))
    share = np.empty((paths, n_k))
    for k, alt in enumerate(model.alternatives):
        ramp[:, k] = _uniform(rng, alt.ramp_low, alt.ramp_high, (paths,))
        share[:, k] = _uniform(rng, alt.share_low, alt.share_high, (paths,))
    return Draws(cut, delay, restored, cover, subst, ramp, share)


def _overlap(t: np.ndarray, start, end) -> np.ndarray:
    """Length of [t, t+1) inside [start, end)."""
    return np.clip(np.minimum(t + 1.0, end) - np.maximum(t, start), 0.0, 1.0)


def supply_level(model: Model, d: Draws, sl: slice) -> np.ndarray:
    """China supply as a fraction of baseline, (p, I, T) monthly averages."""
    t = np.arange(model.months, dtype=np.float64)[None, None, :]
    cut = d.cut[sl][:, :, None]
    delay = d.delay[sl][:, :, None]
    restored = d.restored[sl][:, :, None]
    end = model.duration
    first = np.minimum(delay, end)
    cut_part = _overlap(t, 0.0, first)
    licence_part = _overlap(t, first, end)
    after = _overlap(t, end, math.inf) if math.isfinite(end) else 0.0
    return cut_part * (1.0 - cut) + licence_part * (1.0 - cut * (1.0 - restored)) + after


def alternative_supply(model: Model, d: Draws, sl: slice) -> np.ndarray:
    """New non-Chinese supply as a fraction of baseline, (p, I, T)."""
    n = d.cut[sl].shape[0]
    out = np.zeros((n, len(model.importers), model.months))
    t = np.arange(model.months, dtype=np.float64)[None, :]
    for k, alt in enumerate(model.alternatives):
        ramp = d.alt_ramp[sl, k][:, None]
        elapsed = t + 1.0 - alt.start
        frac = np.where(ramp > 0, np.clip(elapsed / np.where(ramp > 0, ramp, 1.0), 0.0, 1.0),
                        (elapsed > 0).astype(np.float64))
        out[:, alt.importer, :] += (alt.tonnes_per_month * d.alt_share[sl, k][:, None] * frac
                                    / model.baseline[alt.importer])
    return out


def demand_level(model: Model, d: Draws, sl: slice) -> np.ndarray:
    """Demand as a fraction of baseline, (p, T)."""
    t = np.arange(model.months, dtype=np.float64)
    growth = (1.0 + model.growth) ** (t / 12.0)
    subst = d.subst[sl][:, None] * (t[None, :] >= model.subst_from)
    return growth[None, :] * (1.0 - subst)


@dataclass
class ChunkResult:
    shortfall: np.ndarray            # (I, S, T, p) tonnes, float32
    tts: np.ndarray                  # (p, I, S) months
    ttr: np.ndarray                  # (p, I) months


def simulate_chunk(model: Model, d: Draws, sl: slice, out: np.ndarray | None = None) -> ChunkResult:
    """The vectorised time loop for one chunk of paths (paths on the last, contiguous axis).

    Per month: x = stock - gap; shortfall = max(-x, 0); stock = clip(x, 0, starting stock),
    which is "inventory meets the gap, then refills from a surplus up to its start level".
    """
    n_t = model.months
    net = (demand_level(model, d, sl)[:, None, :] - supply_level(model, d, sl)
           - alternative_supply(model, d, sl))                             # (p, I, T)
    ttr = np.where((net <= 1e-12).any(axis=2), (net <= 1e-12).argmax(axis=2), n_t).astype(np.float64)
    # the time loop runs in float32: half the memory traffic; results are kept as float32
    net_t = np.ascontiguousarray(net.transpose(2, 1, 0), dtype=np.float32)  # (T, I, p)
    scale = (model.baseline[:, None] * model.split).astype(np.float32)     # (I, S) t/month
    start_stock = (d.cover[sl] / WEEKS_PER_MONTH * scale[None]).transpose(1, 2, 0).astype(np.float32)
    n_p = start_stock.shape[2]
    if out is None:
        out = np.empty((len(model.importers), len(model.sectors), n_t, n_p), dtype=np.float32)
    stock = start_stock.copy()
    tts = np.full(stock.shape, float(n_t))  # float64
    open_ = np.ones(stock.shape, dtype=bool)
    gap = np.empty_like(stock)
    x = np.empty_like(stock)
    lack = np.empty_like(stock)
    for t in range(n_t):
        np.multiply(scale[:, :, None], net_t[t][:, None, :], out=gap)
        np.subtract(stock, gap, out=x)
        np.negative(x, out=lack)
        np.maximum(lack, 0.0, out=lack)
        out[:, :, t, :] = lack
        ran_out = open_ & (lack > 0)
        if ran_out.any():
            tts[ran_out] = t + stock[ran_out] / gap[ran_out]
            open_ &= ~ran_out
        np.clip(x, 0.0, start_stock, out=stock)
    return ChunkResult(out, tts.transpose(2, 0, 1), ttr)


def simulate_loop(model: Model, d: Draws, paths: range, importers: range) -> dict:
    """A straightforward pure-Python implementation of the same model, cell by cell.

    Used to check the vectorised code and as the baseline of bench/scenario.py.
    Returns {(p, i, s, t): shortfall}, {(p, i, s): tts}, {(p, i): ttr}.
    """
    short, tts_out, ttr_out = {}, {}, {}
    for p in paths:
        for i in importers:
            c, delay, r = float(d.cut[p, i]), float(d.delay[p, i]), float(d.restored[p, i])
            first = min(delay, model.duration)
            nets = []
            for t in range(model.months):
                def overlap(a, b):
                    return max(0.0, min(min(t + 1.0, b) - max(t, a), 1.0))
                level = overlap(0.0, first) * (1 - c) + overlap(first, model.duration) * (1 - c * (1 - r))
                if math.isfinite(model.duration):
                    level += overlap(model.duration, math.inf)
                alt = 0.0
                for k, a in enumerate(model.alternatives):
                    if a.importer != i:
                        continue
                    ramp, elapsed = float(d.alt_ramp[p, k]), t + 1.0 - a.start
                    frac = min(max(elapsed / ramp, 0.0), 1.0) if ramp > 0 else float(elapsed > 0)
                    alt += a.tonnes_per_month * float(d.alt_share[p, k]) * frac / model.baseline[i]
                dem = (1.0 + model.growth) ** (t / 12.0)
                if t >= model.subst_from:
                    dem *= 1.0 - float(d.subst[p])
                nets.append(dem - level - alt)
            ttr = model.months
            for t, n in enumerate(nets):
                if n <= 1e-12:
                    ttr = t
                    break
            ttr_out[(p, i)] = float(ttr)
            for s in range(len(model.sectors)):
                scale = model.baseline[i] * model.split[i, s]
                start_stock = float(d.cover[p, i, s]) / WEEKS_PER_MONTH * scale
                stock, tts = start_stock, float(model.months)
                found = False
                for t in range(model.months):
                    g = nets[t] * scale
                    need = g if g > 0 else 0.0
                    used = stock if stock < need else need
                    lack = need - used
                    short[(p, i, s, t)] = lack
                    if not found and lack > 0:
                        tts = t + (used / need if need > 0 else 0.0)
                        found = True
                    surplus = -g if g < 0 else 0.0
                    stock = stock - used + min(start_stock - stock + used, surplus)
                tts_out[(p, i, s)] = tts
    return {"shortfall": short, "tts": tts_out, "ttr": ttr_out}


# -- running and summarising ------------------------------------------------------------------

@dataclass
class Simulation:
    model: Model
    paths: int
    seed: int
    shortfall: np.ndarray            # (I, S, T, P) float32 tonnes
    tts: np.ndarray                  # (P, I, S)
    ttr: np.ndarray                  # (P, I)
    total: np.ndarray                # (T, P) all importers and sectors

    def quantiles(self) -> np.ndarray:
        """(3, I, S, T) P10/P50/P90 of shortfall tonnes (order statistics, inverted CDF)."""
        n_i, n_s, n_t, n_p = self.shortfall.shape
        flat = self.shortfall.reshape(-1, n_p)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:       # np.partition releases the GIL
            rows = list(pool.map(order_statistics, flat, chunksize=64))
        return np.stack(rows, axis=1).reshape(3, n_i, n_s, n_t)


def order_statistics(row: np.ndarray) -> np.ndarray:
    """P10/P50/P90 of one cell's paths. Shortfalls are >= 0 and often exactly 0, so only the
    positive values are partitioned; an order statistic that falls among the zeros is 0."""
    n = row.shape[0]
    ks = np.ceil(np.asarray(QUANTILES) * n).astype(np.int64) - 1
    positive = row[row > 0]
    zeros = n - positive.shape[0]
    out = np.zeros(3)
    need = ks >= zeros
    if need.any():
        kth = ks[need] - zeros
        part = np.partition(positive, kth)
        out[need] = part[kth]
    return out


def simulate(model: Model, paths: int, seed: int, chunk_paths: int | None = None) -> Simulation:
    """Run the Monte Carlo over all paths in chunks; results keep every path's shortfall."""
    if paths < 1:
        raise InputError("paths must be >= 1", field="paths")
    d = draw(model, paths, seed)
    n_i, n_s, n_t = len(model.importers), len(model.sectors), model.months
    if chunk_paths is None:
        chunk_paths = max(1, 4_000_000 // max(1, n_i * n_s * n_t))
    shortfall = np.empty((n_i, n_s, n_t, paths), dtype=np.float32)
    tts = np.empty((paths, n_i, n_s))
    ttr = np.empty((paths, n_i))
    total = np.empty((n_t, paths))
    for a in range(0, paths, chunk_paths):
        sl = slice(a, min(paths, a + chunk_paths))
        res = simulate_chunk(model, d, sl)
        shortfall[..., sl] = res.shortfall
        tts[sl] = res.tts
        ttr[sl] = res.ttr
        total[:, sl] = res.shortfall.sum(axis=(0, 1), dtype=np.float64)
    return Simulation(model, paths, seed, shortfall, tts, ttr, total)


# -- scenario files -----------------------------------------------------------------------------

@dataclass
class Scenario:
    """A parsed scenario file and the model resolved from it, with every input cited."""

    name: str
    title: str
    start: dt.date
    model: Model
    inputs: list[Cited]
    intensity: dict[str, Intensity | None]
    file: str | None = None

    def months(self) -> list[str]:
        first = Month.of(self.start)
        return [str(first + t) for t in range(self.model.months)]


def list_scenarios() -> list[dict[str, str]]:
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
        out.append({"name": path.stem, "title": spec.get("title", ""), "file": str(path),
                    "start": spec.get("start", ""), "months": spec.get("months", "")})
    return out


def read_spec(path_or_dict: str | Path | Mapping[str, Any]) -> tuple[dict, str]:
    """Load a scenario spec from a dict, a TOML path or the name of a bundled example."""
    if isinstance(path_or_dict, Mapping):
        return dict(path_or_dict), "<dict>"
    path = Path(path_or_dict)
    if not path.exists() and (SCENARIO_DIR / f"{path_or_dict}.toml").exists():
        path = SCENARIO_DIR / f"{path_or_dict}.toml"
    if not path.exists():
        raise InputError("no such scenario file or bundled scenario name", file=str(path_or_dict))
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), str(path)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}); save the scenario as UTF-8",
                         file=str(path)) from None


class _Spec:
    """Typed access to a spec with one-line errors naming the file and field."""

    def __init__(self, spec: Mapping[str, Any], file: str) -> None:
        self.spec, self.file = spec, file

    def get(self, dotted: str, default: Any = ..., kind: type | tuple = (int, float)) -> Any:
        node: Any = self.spec
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is ...:
                    raise InputError("required field missing", file=self.file, field=dotted)
                return default
            node = node[part]
        if kind is not None and not isinstance(node, kind) or isinstance(node, bool) and kind != bool:
            raise InputError(f"expected {getattr(kind, '__name__', kind)}, got {node!r}",
                             file=self.file, field=dotted)
        return node

    def fraction(self, dotted: str, default: Any = ...) -> float:
        value = self.get(dotted, default)
        if value is not None and not 0 <= value <= 1:
            raise InputError(f"expected a fraction 0..1, got {value!r}", file=self.file, field=dotted)
        return value

    def month(self, dotted: str) -> dt.date:
        """The first day of a ``YYYY-MM`` field."""
        text = self.get(dotted, kind=str)
        try:
            return Month.parse(text, dotted).first_day
        except ParameterError:
            raise InputError(f"expected YYYY-MM, got {text!r}", file=self.file, field=dotted) from None

    def range(self, dotted: str, default: Any = ...) -> tuple[float, float, str | None]:
        node = self.get(dotted, default, kind=(Mapping,))
        if node is default:
            return default
        low = self.get(f"{dotted}.low")
        high = self.get(f"{dotted}.high")
        if high < low:
            raise InputError(f"high {high} < low {low}", file=self.file, field=dotted)
        return float(low), float(high), node.get("reason")


def _baseline(handle: Reader | None, importer: str, start: dt.date, end: dt.date, as_of: str | None,
              file: str) -> Cited:
    """Mean monthly China exports of magnets (85051110) to ``importer`` over the observed
    months of a window: each month's figure as :func:`magwatch.analytics.figures.chosen`
    chooses it (vintages up to ``as_of`` when given)."""
    if handle is None:
        raise NoDataError("observed baselines need a store: open one and run `magwatch load`")
    window = [str(m) for m in Month.of(start).until(Month.of(end))]
    if not window:
        raise InputError(f"baseline.to {Month.of(end)} is before baseline.from {Month.of(start)}",
                         file=file, field="baseline.to")
    rows = figures.chosen(handle, reporter="CHN", partner=importer, commodity=BASELINE_COMMODITY,
                          flow="X", start=window[0], end=window[-1], as_of=as_of).to_pylist()
    by_period = {r["period"]: r for r in rows if r["net_weight_t"] is not None}
    if not by_period:
        known = f" as known on {as_of}" if as_of else ""
        raise InputError(f"no observed China exports to {importer} in {window[0]}..{window[-1]}"
                         f"{known}: give baseline.tonnes.{importer} or another window",
                         file=file, field=f"baseline.{importer}")
    used = [p for p in window if p in by_period]
    values = [by_period[p]["net_weight_t"] for p in used]
    missing = [p for p in window if p not in by_period]
    mean = sum(values) / len(values)
    files = sorted({by_period[p]["weight_source_file"] for p in used})
    rows_used = tuple(by_period[p]["weight_source_row"] for p in used)
    note = (f"mean of {len(values)} observed month(s) "
            + ", ".join(f"{p} {by_period[p]['net_weight_t']:g} t" for p in used)
            + (f"; no data for {', '.join(missing)}" if missing else "")
            + (f"; vintages up to {as_of}" if as_of else ""))
    return Cited(f"baseline_{importer}", round(mean, 3), "t/month China exports", "computed",
                 ",".join(files), rows_used, None, note)


def _row_cite(ref, row_no: int, name: str, value, unit: str, note: str | None = None) -> Cited:
    row = ref.row(row_no)
    return Cited(name, value, unit, "reported", ref.file, (row_no,), row.get("source_url"),
                 note or row.get("summary") or row.get("note"))


#: A scenario ``start`` that follows the data: the month after the latest China world figure.
AFTER_LATEST = "after-latest"


def latest_world_month(handle: Reader) -> Month | None:
    """The latest month with a China world export figure for magnets, or None."""
    rows = handle.flows(reporter="CHN", partner="WLD", commodity=BASELINE_COMMODITY,
                        flow="X").to_pylist()
    months = [r["period"] for r in rows if r["net_weight_t"] is not None and r["period_months"] == 1]
    return Month.parse(max(months)) if months else None


def _start(spec: "_Spec", handle: Reader | None) -> dt.date:
    """The scenario's first month: ``YYYY-MM``, or ``after-latest`` (needs the store)."""
    if spec.get("start", kind=str) != AFTER_LATEST:
        return spec.month("start")
    latest = latest_world_month(handle) if handle is not None else None
    if latest is None:
        raise InputError("'after-latest' needs a store with a China world export figure",
                         file=spec.file, field="start")
    return (latest + 1).first_day


@dataclass
class _Resolving:
    """A scenario spec being resolved: the spec, the store (or None), the scenario's first
    month and importers, and the inputs cited so far, in the order they are listed."""

    spec: _Spec
    handle: Reader | None
    start: dt.date
    importers: list[str]
    inputs: list[Cited] = field(default_factory=list)

    @property
    def raw(self) -> Mapping[str, Any]:
        return self.spec.spec

    @property
    def file(self) -> str:
        return self.spec.file

    def cite(self, *args: Any) -> None:
        self.inputs.append(Cited(*args))


def resolve(path_or_dict, handle: Reader | None = None) -> Scenario:
    """Parse a scenario spec and resolve every number, citing each input."""
    raw, file = read_spec(path_or_dict)
    spec = _Spec(raw, file)
    name = spec.get("name", Path(file).stem if file != "<dict>" else "scenario", kind=str)
    title = spec.get("title", name, kind=str)
    start = _start(spec, handle)
    months = spec.get("months", kind=int)
    if not 1 <= months <= 120:
        raise InputError("expected 1..120 months", file=file, field="months")
    r = _Resolving(spec, handle, start, _importers(spec))
    baseline = _baselines(r)
    sectors, split_rows = _sectors(r)
    cut_low, cut_high = _cuts(r)
    licence = _licence(r)
    cover_low, cover_high = _inventory(r, sectors)
    alternatives = _alternatives(r)
    demand = _demand(r)
    model = Model(importers=r.importers, sectors=sectors, months=months,
                  baseline=np.asarray(baseline, dtype=np.float64),
                  split=np.asarray(split_rows, dtype=np.float64),
                  cut_low=np.asarray(cut_low), cut_high=np.asarray(cut_high),
                  cover_low=cover_low, cover_high=cover_high, **licence,
                  **demand, alternatives=alternatives)
    return Scenario(name, title, start, model, r.inputs, intensities(handle), file)


def _importers(spec: _Spec) -> list[str]:
    """The importers: a list of known ISO3 codes, upper case."""
    importers = spec.get("importers", kind=list)
    if not importers or not all(isinstance(i, str) for i in importers):
        raise InputError("expected a list of ISO3 codes", file=spec.file, field="importers")
    importers = [i.strip().upper() for i in importers]
    unknown = [i for i in importers if not is_known(i)]
    if unknown:
        raise InputError(f"unknown ISO3 importer code(s): {', '.join(unknown)}", file=spec.file,
                         field="importers")
    return importers


def _baselines(r: _Resolving) -> list[float]:
    """Baseline monthly imports from China per importer: given in tonnes, else the mean of
    the observed months of baseline.from..to."""
    spec, file = r.spec, r.file
    as_of = spec.get("baseline.as_of", None, kind=str)
    explicit = spec.get("baseline.tonnes", {}, kind=Mapping)
    base_from = spec.month("baseline.from") if "from" in r.raw.get("baseline", {}) else None
    base_to = spec.month("baseline.to") if "to" in r.raw.get("baseline", {}) else None
    baseline = []
    for imp in r.importers:
        if imp in explicit:
            value = spec.get(f"baseline.tonnes.{imp}")
            if value <= 0:
                raise InputError("baseline must be > 0 t/month", file=file, field=f"baseline.tonnes.{imp}")
            cite = Cited(f"baseline_{imp}", float(value), "t/month", "user", None, (), None,
                         spec.get("baseline.reason", "given in the scenario file", kind=str))
        elif base_from is None or base_to is None:
            raise InputError(f"no baseline for {imp}: give baseline.from/to or baseline.tonnes.{imp}",
                             file=file, field="baseline")
        else:
            cite = _baseline(r.handle, imp, base_from, base_to, as_of, file)
        baseline.append(cite.value)
        r.inputs.append(cite)
    return baseline


def _sectors(r: _Resolving) -> tuple[list[str], list[list[float]]]:
    """The sectors and each importer's split over them: the scenario's (or an importer's
    own), else the cited default split."""
    spec, file = r.spec, r.file
    split_default, split_cites = default_split(r.handle)
    user_split = spec.get("sectors.share", None, kind=Mapping)
    if user_split is not None:
        split = check_split(dict(user_split), f"{file}: sectors.share")
        r.cite("sector_split", dict(split), "share", "user", None, (), None,
               "sector split given in the scenario file")
    else:
        split = split_default
        r.inputs.extend(split_cites)
    sectors = list(split)
    per_importer = spec.get("sectors.importer", {}, kind=Mapping)
    split_rows = []
    for imp in r.importers:
        own = per_importer.get(imp)
        if own is not None:
            own = check_split(dict(own), f"{file}: sectors.importer.{imp}")
            if set(own) != set(sectors):
                raise InputError("sector names must match sectors.share", file=file,
                                 field=f"sectors.importer.{imp}")
            r.cite(f"sector_split_{imp}", dict(own), "share", "user")
            split_rows.append([own[s] for s in sectors])
        else:
            split_rows.append([split[s] for s in sectors])
    return sectors, split_rows


def _cuts(r: _Resolving) -> tuple[list[float], list[float]]:
    """The share of each importer's baseline withheld, low and high."""
    low, high, reason = r.spec.range("cut")
    cut_low, cut_high = [], []
    for imp in r.importers:
        own = r.spec.range(f"cut.importer.{imp}", None)
        lo, hi, why = own if own else (low, high, reason)
        for v, f in ((lo, "low"), (hi, "high")):
            if not 0 <= v <= 1:
                raise InputError(f"expected a fraction 0..1, got {v!r}", file=r.file, field=f"cut.{f}")
        cut_low.append(lo)
        cut_high.append(hi)
        r.cite(f"cut_{imp}", (lo, hi), "share of baseline withheld", "assumption",
               None, (), None, why)
    return cut_low, cut_high


def _licence(r: _Resolving) -> dict[str, float]:
    """The licence regime: the delay in working days (triangular), working days a month,
    the share licensed after the delay and how long the regime lasts (Model fields)."""
    spec = r.spec
    delay = spec.get("licence.delay_working_days", {"low": 0, "mode": 0, "high": 0}, kind=Mapping)
    d_low, d_mode, d_high = (float(spec.get(f"licence.delay_working_days.{k}")) if delay != {
        "low": 0, "mode": 0, "high": 0} else 0.0 for k in ("low", "mode", "high"))
    if not d_low <= d_mode <= d_high:
        raise InputError("expected low <= mode <= high", file=r.file, field="licence.delay_working_days")
    wdpm = float(spec.get("licence.working_days_per_month", 21.0))
    restored = spec.range("licence.restored", (0.0, 0.0, None))
    duration = spec.get("licence.duration_months", None)
    r.cite("licence_delay", {"low": d_low, "mode": d_mode, "high": d_high},
           "working days (triangular)", "assumption", None, (), None,
           delay.get("reason") if isinstance(delay, Mapping) else None)
    r.cite("working_days_per_month", wdpm, "days", "assumption", None, (), None,
           "5-day weeks x 52/12 = 21.7 less public holidays, rounded to 21"
           if "working_days_per_month" not in r.raw.get("licence", {}) else "scenario file")
    r.cite("licence_restored", (restored[0], restored[1]),
           "share of withheld flow licensed after the delay", "assumption", None, (),
           None, restored[2])
    if duration is not None:
        r.cite("regime_duration", float(duration), "months", "assumption", None, (),
               None, spec.get("licence.duration_reason", None, kind=str))
    return {"delay_low": d_low, "delay_mode": d_mode, "delay_high": d_high,
            "working_days_per_month": wdpm, "restored_low": restored[0],
            "restored_high": restored[1],
            "duration": float(duration) if duration is not None else math.inf}


def _inventory(r: _Resolving, sectors: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Weeks of inventory cover, low and high, per importer and sector: the sector's, else
    the importer's, else the default."""
    spec = r.spec
    cover_default = spec.range("inventory.default")
    cover_low = np.empty((len(r.importers), len(sectors)))
    cover_high = np.empty_like(cover_low)
    r.cite("inventory_default", (cover_default[0], cover_default[1]), "weeks of cover",
           "assumption", None, (), None, cover_default[2])
    for i, imp in enumerate(r.importers):
        own = spec.range(f"inventory.importer.{imp}", None)
        if own:
            r.cite(f"inventory_{imp}", (own[0], own[1]), "weeks of cover",
                   "assumption", None, (), None, own[2])
        for s, sector in enumerate(sectors):
            sec = spec.range(f"inventory.sector.{sector}", None)
            lo, hi, _ = sec or own or cover_default
            cover_low[i, s], cover_high[i, s] = lo, hi
    for sector in spec.get("inventory.sector", {}, kind=Mapping):
        if sector not in sectors:
            raise InputError(f"unknown sector {sector!r}", file=r.file, field=f"inventory.sector.{sector}")
        lo, hi, why = spec.range(f"inventory.sector.{sector}")
        r.cite(f"inventory_{sector}", (lo, hi), "weeks of cover", "assumption",
               None, (), None, why)
    return cover_low, cover_high


def _alternatives(r: _Resolving) -> list[Alternative]:
    """New non-Chinese supply, one per ``alternatives`` entry, each naming its alt_supply.csv row."""
    alt_rows = reference_rows("alt_supply", r.handle)
    return [_alternative(r, k, entry, alt_rows)
            for k, entry in enumerate(r.spec.get("alternatives", [], kind=list))]


def _alternative(r: _Resolving, k: int, entry: Any, alt_rows) -> Alternative:
    """One alternative: capacity (the row's, or given), importer, month online (given, else
    January of the row's expected year), ramp and available share."""
    file, where = r.file, f"alternatives[{k}]"
    if not isinstance(entry, Mapping):
        raise InputError("expected a table", file=file, field=where)
    sub = _Spec(entry, file)
    row_no = sub.get("alt_supply_row", kind=int)
    try:
        row = alt_rows.row(row_no)
    except IndexError as exc:
        raise InputError(str(exc), file=file, field=f"{where}.alt_supply_row") from None
    capacity = number(row["capacity_tpa"])
    if "capacity_tpa" in entry:
        capacity = float(sub.get("capacity_tpa"))
    if capacity is None:
        raise InputError(f"alt_supply.csv row {row_no} ({row['company']}) states no capacity: "
                         "give capacity_tpa", file=file, field=f"{where}.capacity_tpa")
    imp = sub.get("importer", kind=str).upper()
    if imp not in r.importers:
        raise InputError(f"{imp} is not among the importers", file=file, field=f"{where}.importer")
    online = entry.get("online")
    if online is None:
        if not row["expected_year"]:
            raise InputError(f"alt_supply.csv row {row_no} has no expected year: give online",
                             file=file, field=f"{where}.online")
        online_date = Month(int(row["expected_year"]), 1).first_day
    else:
        online_date = _Spec(entry, file).month("online")
    offset = Month.of(online_date) - Month.of(r.start)
    r_lo, r_hi, r_why = sub.range("ramp_months")
    s_lo, s_hi, s_why = sub.range("available_share")
    r.cite(f"alternative_{row['company']} {row['site']}", capacity, "t/yr capacity",
           "reported" if "capacity_tpa" not in entry else "user", alt_rows.file,
           (row_no,), row["source_url"],
           f"to {imp} from {online_date:%Y-%m}; ramp {r_lo:g}-{r_hi:g} months "
           f"({r_why or 'assumption'}); available share {s_lo:g}-{s_hi:g} "
           f"({s_why or 'assumption'}); status {row['status']}")
    return Alternative(r.importers.index(imp), capacity / 12.0, float(offset),
                       r_lo, r_hi, s_lo, s_hi)


def _demand(r: _Resolving) -> dict[str, float]:
    """Demand: substitution (share of demand, from a month on) and yearly growth (Model fields)."""
    spec = r.spec
    subst = spec.range("substitution", (0.0, 0.0, None))
    subst_from = int(spec.get("substitution.from_month", 0))
    if subst[1] > 0:
        r.cite("substitution", (subst[0], subst[1]), "share of demand", "assumption",
               None, (), None, f"from month {subst_from}; {subst[2] or ''}")
    growth = float(spec.get("demand.growth_pct_per_year", 0.0)) / 100.0
    r.cite("demand_growth", growth * 100, "% per year", "assumption", None, (), None,
           spec.get("demand.reason", "no growth unless the scenario says so", kind=str))
    return {"growth": growth, "subst_low": subst[0], "subst_high": subst[1],
            "subst_from": subst_from}


@dataclass(repr=False)
class ScenarioResult(Answer):
    """Summaries of one run, as a Frame of one row per importer and sector (time to survive,
    time to recover); the per-month rows (``monthly``), the totals and the inputs are
    attributes, ``as_dict()``/``to_dict()`` the whole summary."""

    scenario: Scenario
    paths: int
    seed: int
    monthly: list[dict]
    survival: list[dict]
    total: list[dict]
    simulation: Simulation | None = None

    def __post_init__(self) -> None:
        Answer.__init__(self, self.as_dict(), "survival")

    def scenario_inputs_rows(self) -> list[dict[str, Any]]:
        return [c.as_row() for c in self.scenario.inputs]

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario.name, "title": self.scenario.title,
                "file": self.scenario.file, "paths": self.paths, "seed": self.seed,
                "start": str(Month.of(self.scenario.start)), "months": self.scenario.model.months,
                "kind": "computed (Monte Carlo; inputs listed with their sources)",
                "inputs": [c.as_row() for c in self.scenario.inputs],
                "survival": self.survival, "total": self.total, "monthly": self.monthly}


def summarise(scn: Scenario, sim: Simulation) -> ScenarioResult:
    model, labels = scn.model, scn.months()
    q = sim.quantiles()
    monthly = []
    for i, imp in enumerate(model.importers):
        for s, sector in enumerate(model.sectors):
            inten = scn.intensity.get(sector)
            for t, month in enumerate(labels):
                row = {"importer": imp, "sector": sector, "month": month,
                       "shortfall_t_p10": float(q[0, i, s, t]), "shortfall_t_p50": float(q[1, i, s, t]),
                       "shortfall_t_p90": float(q[2, i, s, t]),
                       "unit": inten.unit if inten else None}
                for k, name in enumerate(("p10", "p50", "p90")):
                    low, high = inten.units(float(q[k, i, s, t])) if inten else (None, None)
                    row[f"units_{name}_low"], row[f"units_{name}_high"] = low, high
                row["intensity_source"] = inten.cite.where() if inten else "no data"
                monthly.append(row)
    survival = []
    horizon = float(model.months)
    for i, imp in enumerate(model.importers):
        ttr = sim.ttr[:, i]
        for s, sector in enumerate(model.sectors):
            tts = sim.tts[:, i, s]
            t_idx = np.arange(model.months)[None, :]
            short_state = (t_idx >= np.floor(tts)[:, None]) & (t_idx < ttr[:, None]) & \
                (tts[:, None] < ttr[:, None])
            share_short = short_state.mean(axis=0)
            first = next((labels[t] for t in range(model.months) if share_short[t] >= 0.5), None)
            tq, rq = np.quantile(tts, QUANTILES), np.quantile(ttr, QUANTILES)
            survival.append({
                "importer": imp, "sector": sector,
                "tts_months_p10": float(tq[0]), "tts_months_p50": float(tq[1]), "tts_months_p90": float(tq[2]),
                "ttr_months_p10": float(rq[0]), "ttr_months_p50": float(rq[1]), "ttr_months_p90": float(rq[2]),
                "prob_tts_lt_ttr": float((tts < ttr).mean()),
                "first_month_tts_lt_ttr": first,
                "censored_at_horizon": bool(np.quantile(tts, 0.5) >= horizon),
                "shortfall_t_total_p50": float(np.quantile(sim.shortfall[i, s].sum(axis=0), 0.5)),
            })
    tq = np.quantile(sim.total, QUANTILES, axis=1)
    total = [{"month": labels[t], "shortfall_t_p10": float(tq[0, t]), "shortfall_t_p50": float(tq[1, t]),
              "shortfall_t_p90": float(tq[2, t])} for t in range(model.months)]
    return ScenarioResult(scn, sim.paths, sim.seed, monthly, survival, total, sim)


def run(path_or_dict, handle: Reader | None = None, *, paths: int = 10_000, seed: int = 0,
        chunk_paths: int | None = None) -> ScenarioResult:
    """Resolve a scenario, simulate ``paths`` paths with ``seed`` and summarise."""
    scn = resolve(path_or_dict, handle)
    return summarise(scn, simulate(scn.model, paths, seed, chunk_paths))


__all__ = ["Alternative", "Draws", "Model", "Scenario", "ScenarioResult", "Simulation", "draw",
           "list_scenarios", "read_spec", "resolve", "run", "simulate", "simulate_chunk",
           "simulate_loop", "summarise", "supply_level"]
