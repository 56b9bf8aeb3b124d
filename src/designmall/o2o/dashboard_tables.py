"""The dashboards' figures as tables, one per chart: what the page shows beside each chart,
what the chart is drawn from (the charted columns' values) and what its CSV export holds.
One ``Table`` feeds all three, so the chart, the table and the CSV cannot disagree.

Labels are in the active language. Money columns are yuan with two decimals (``元`` in the
column's label); a percentage column is a number with one decimal, empty without visitors.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from designmall.core.money import Money
from designmall.o2o import dashboard
from designmall.o2o.dashboard import OFFLINE, ONLINE, PENDING, Dashboard
from designmall.o2o.selectors import attribution_window


@dataclass(frozen=True)
class Column:
    label: str
    charted: bool = False  # one of the chart's data series


@dataclass(frozen=True)
class Cell:
    text: str  # what the table and the CSV show
    value: str = ""  # the number the chart draws (empty: not a number)


@dataclass(frozen=True)
class Table:
    key: str  # the chart's name in URLs (``?chart=``) and the page's ids
    title: str
    note: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    kind: str = "bar"  # Chart.js chart type: bar or line
    stacked: bool = False
    horizontal: bool = False  # long labels (booths, exhibits) read better across

    @property
    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    @property
    def body(self) -> list[list[str]]:
        return [[cell.text for cell in row] for row in self.rows]


def _n(value: int) -> Cell:
    return Cell(str(value), str(value))


def _yuan(fen: int) -> Cell:
    text = Money(fen).yuan_str()
    return Cell(text, text)


def _label(text: str) -> Cell:
    return Cell(text)


def _percent(value: float | None) -> Cell:
    return Cell("", "") if value is None else Cell(f"{value:.1f}", f"{value:.1f}")


def checkins_table(board: Dashboard) -> Table:
    grid = board.checkins
    return Table(
        key="checkins",
        title=_("各场馆每小时入场人数"),
        note=_("按首次入场时间统计的入场人数（每张电子票计一次，再次入场不重复计）。"),
        columns=[Column(_("时段"))] + [Column(v.name, charted=True) for v in grid.venues],
        rows=[
            [_label(f"{hour:02d}:00")] + [_n(grid.count(v, hour)) for v in grid.venues]
            for hour in grid.hours
        ],
        stacked=True,
    )


def scans_table(board: Dashboard) -> Table:
    return Table(
        key="scans",
        title=_("各展位扫码"),
        note=_(
            "扫码次数（一分钟内重复打开同一页面不重复计）与扫码访客数（登录账号与未登录浏览器各计一位）。"
        ),
        columns=[
            Column(_("展位")),
            Column(_("扫码次数"), charted=True),
            Column(_("扫码访客"), charted=True),
        ],
        rows=[[_label(str(f.booth)), _n(f.scans), _n(f.visitors)] for f in board.booths],
        horizontal=True,
    )


def sales_table(board: Dashboard) -> Table:
    return Table(
        key="sales",
        title=_("每日线上与现场来源销售额"),
        note=_(
            "按支付日期统计的已支付订单金额；现场来源：下单前 %(days)d 天内扫过该店展位码的"
            "订单（末次触达）。待归因：尚未完成来源归因的订单。退款按退款入账日期计。"
        )
        % {"days": attribution_window().days},
        columns=[
            Column(_("日期")),
            Column(_("现场订单")),
            Column(_("现场来源销售额（元）"), charted=True),
            Column(_("线上订单")),
            Column(_("线上销售额（元）"), charted=True),
            Column(_("待归因销售额（元）"), charted=True),
            Column(_("退款（元）")),
            Column(_("净销售额（元）")),
        ],
        rows=[
            [
                _label(formats.date_format(day.day, "m-d")),
                _n(day.orders[OFFLINE]),
                _yuan(day.gross_fen[OFFLINE]),
                _n(day.orders[ONLINE]),
                _yuan(day.gross_fen[ONLINE]),
                _yuan(day.gross_fen[PENDING]),
                _yuan(sum(day.refunds_fen.values())),
                _yuan(day.net_total_fen),
            ]
            for day in board.sales
        ],
        stacked=True,
    )


def conversion_table(board: Dashboard) -> Table:
    return Table(
        key="conversion",
        title=_("各展位扫码转化"),
        note=_("转化率 = 归因到该展位的已支付订单的买家数 ÷ 扫码访客数。"),
        columns=[
            Column(_("展位")),
            Column(_("扫码访客")),
            Column(_("买家数")),
            Column(_("订单数")),
            Column(_("销售额（元）")),
            Column(_("转化率（%）"), charted=True),
        ],
        rows=[
            [
                _label(str(f.booth)),
                _n(f.visitors),
                _n(f.buyers),
                _n(f.orders),
                _yuan(f.sales_fen),
                _percent(f.conversion_percent),
            ]
            for f in board.booths
        ],
        horizontal=True,
    )


def presales_table(board: Dashboard) -> Table:
    return Table(
        key="presales",
        title=_("预售定金"),
        note=_("在所选日期内支付定金（全款预售为全款）的预订，按预售活动统计。"),
        columns=[
            Column(_("预售活动")),
            Column(_("店铺")),
            Column(_("定金笔数")),
            Column(_("定金金额（元）"), charted=True),
            Column(_("尾款已付笔数")),
        ],
        rows=[
            [
                _label(f.campaign.title),
                _label(f.campaign.shop.name),
                _n(f.deposits),
                _yuan(f.deposits_fen),
                _n(f.balances_paid),
            ]
            for f in board.presales
        ],
        horizontal=True,
    )


def auctions_table(board: Dashboard) -> Table:
    return Table(
        key="auctions",
        title=_("拍卖成交"),
        note=_("预定截拍时间在所选日期内的拍品，按拍卖专场统计。"),
        columns=[
            Column(_("拍卖专场")),
            Column(_("拍品数")),
            Column(_("落槌件数")),
            Column(_("落槌总额（元）"), charted=True),
            Column(_("已付款件数")),
            Column(_("成交总额（元）"), charted=True),
        ],
        rows=[
            [
                _label(f.sale.title),
                _n(f.lots),
                _n(f.knocked_down),
                _yuan(f.hammer_fen),
                _n(f.paid),
                _yuan(f.paid_fen),
            ]
            for f in board.auctions
        ],
    )


def exhibits_table(board: Dashboard) -> Table:
    return Table(
        key="exhibits",
        title=_("热门展品"),
        note=_("按归因销售额、再按扫码次数排序的前 %(n)d 件展品。") % {"n": dashboard.TOP_EXHIBITS},
        columns=[
            Column(_("展品")),
            Column(_("展位")),
            Column(_("扫码次数")),
            Column(_("订单数")),
            Column(_("销售额（元）"), charted=True),
        ],
        rows=[
            [
                _label(f.exhibit.shown_title),
                _label(f"{f.exhibit.booth.venue.name} {f.exhibit.booth.number}"),
                _n(f.scans),
                _n(f.orders),
                _yuan(f.sales_fen),
            ]
            for f in board.exhibits
        ],
        horizontal=True,
    )


TABLES = (
    checkins_table,
    scans_table,
    sales_table,
    conversion_table,
    presales_table,
    auctions_table,
    exhibits_table,
)
KEYS = ("checkins", "scans", "sales", "conversion", "presales", "auctions", "exhibits")


def tables(board: Dashboard) -> list[Table]:
    return [build(board) for build in TABLES]


def table(board: Dashboard, key: str) -> Table:
    """The one table named ``key`` (``KeyError`` for another name)."""
    if key not in KEYS:
        raise KeyError(key)
    return TABLES[KEYS.index(key)](board)


def table_csv(found: Table) -> str:
    """The table as CSV: its header, then its rows, the same texts as on the page."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(found.header)
    writer.writerows(found.body)
    return out.getvalue()
