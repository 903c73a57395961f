"""The programme's conceptual model (the seed's Figure 1) as a figure of our own: a layout for an SVG.

Drawn as a building: the 5 catalysts are the foundation courses, the 4 strategic axes are the
columns standing on them, and the digital economy is the roof they hold up. The layout is computed
here (positions and wrapped text lines) and drawn by ``templates/_model_figure.svg.html``; the viewBox is
360 units wide, so at a 360-px phone the text is drawn at its nominal size (11–13 px).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from pade.core.i18n import t
from pade.programme.models import Programa

WIDTH = 360
MARGIN = 6
GAP = 5
COLUMN_TOP = 96
COLUMN_HEIGHT = 150
COURSE_HEIGHT = 30


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...]
    ident: str
    font_size: float = 10.5

    @staticmethod
    def fitting_size(width: float, lines: tuple[str, ...], nominal: float) -> float:
        """``nominal``, or smaller so that the longest line (bold, ~0.64 em a character) fits ``width``."""
        longest = max((len(line) for line in lines), default=1)
        return round(min(nominal, 0.9 * width / (0.64 * longest)), 1)

    @property
    def text_x(self) -> float:
        return self.x + self.width / 2

    def text_y(self, line: int, *, size: float = 11.0) -> float:
        """Baseline of ``line`` so that the block of lines is centred vertically."""
        block = size * 1.25 * len(self.lines)
        return self.y + (self.height - block) / 2 + size * (1.25 * line + 1)


@dataclass(frozen=True)
class ModelFigure:
    width: int
    height: int
    roof: tuple[str, ...]
    roof_points: str
    axes: tuple[Box, ...]
    catalysts_label: Box
    catalysts: tuple[Box, ...]
    title: str
    description: str


def model_figure(p: Programa) -> ModelFigure:
    """The layout of the conceptual model of ``p`` (any number of axes and catalysts)."""
    inner = WIDTH - 2 * MARGIN
    n = max(len(p.ejes), 1)
    column_width = (inner - GAP * (n - 1)) / n
    chars = max(8, int(column_width / 6.0))  # about 6 units per character at 10.5 px
    wrapped = [tuple(textwrap.wrap(e.nombre, width=chars, break_long_words=False)) for e in p.ejes]
    axes = tuple(Box(MARGIN + i * (column_width + GAP), COLUMN_TOP, column_width, COLUMN_HEIGHT, lines, e.id,
                     Box.fitting_size(column_width, lines, 10.5))
                 for i, (e, lines) in enumerate(zip(p.ejes, wrapped, strict=True)))
    base_top = COLUMN_TOP + COLUMN_HEIGHT + 30
    catalysts = tuple(Box(MARGIN, base_top + i * (COURSE_HEIGHT + 4), inner, COURSE_HEIGHT, (c.nombre,), c.id)
                      for i, c in enumerate(p.catalizadores))
    height = base_top + len(catalysts) * (COURSE_HEIGHT + 4) + MARGIN
    axis_names = ", ".join(e.nombre for e in p.ejes)
    catalyst_names = ", ".join(c.nombre for c in p.catalizadores)
    return ModelFigure(
        WIDTH, height, (t("Digital economy"), t("of Peru")),
        f"{MARGIN},{COLUMN_TOP - 10} {WIDTH / 2},{MARGIN} {WIDTH - MARGIN},{COLUMN_TOP - 10}",
        axes,
        Box(MARGIN, base_top - 26, inner, 22, (t("Catalysts"),), "catalizadores"), catalysts,
        t("Conceptual model of the digital economy"),
        t("The {n} catalysts ({catalysts}) are the foundation on which the {m} strategic axes ({axes}) stand; "
          "together they hold up the digital economy of Peru.", n=len(p.catalizadores), catalysts=catalyst_names,
          m=len(p.ejes), axes=axis_names),
    )
