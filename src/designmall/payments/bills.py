"""Alipay's daily trade bill (业务明细), read and written; no Django, no I/O.

``alipay.data.dataservice.bill.downloadurl.query`` (``bill_type=trade``) gives a
short-lived URL of a zip file. Inside are two CSV files in GBK: the details
(``<pid>_<yyyymmdd>_业务明细.csv``) and a summary (``..._业务明细(汇总).csv``).
The details file opens with ``#`` comment lines (account, period), then a
header row, one row per trade or refund, and ``#`` lines again at the end
(totals, export time). Cells may carry padding tabs and spaces. A trade is
``业务类型`` 交易 with ``订单金额（元）`` positive; a refund is 退款 with a
negative amount and its ``退款批次号/请求号`` (our ``out_request_no``).

``parse_bill_zip`` reads what Alipay (and the sandbox) serve;
``render_bill_zip`` writes the same format, for the sandbox.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

TRADE = "交易"
REFUND = "退款"
DETAILS_SUFFIX = "_业务明细.csv"
SUMMARY_SUFFIX = "_业务明细(汇总).csv"
ENCODING = "gbk"

COLUMNS = (
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
)


class BillFormatError(ValueError):
    """The file is not a bill we can read."""


@dataclass(frozen=True)
class BillLine:
    kind: str  # TRADE or REFUND
    trade_no: str
    out_trade_no: str
    amount_fen: int  # positive for both kinds: what was paid, or what was refunded
    finished_at: str  # as the bill writes it: "2026-12-04 10:31:02"
    out_request_no: str = ""  # refunds only
    subject: str = ""


def _fen(text: str) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BillFormatError(f"not an amount: {text!r}") from None
    fen = value * 100
    if fen != fen.to_integral_value():
        raise BillFormatError(f"more than two decimals: {text!r}")
    return int(fen)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _member_name(info: zipfile.ZipInfo) -> str:
    """Alipay's zips name members in GBK without the UTF-8 flag; zipfile reads them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode(ENCODING)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def parse_details(text: str) -> list[BillLine]:
    """The rows of a details file's text (already decoded)."""
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not rows:
        raise BillFormatError("no header row")
    reader = csv.reader(rows)
    header = [cell.strip() for cell in next(reader)]
    try:
        at = {name: header.index(name) for name in ("支付宝交易号", "商户订单号", "业务类型")}
        at["amount"] = header.index("订单金额（元）")
        at["finished"] = header.index("完成时间")
        at["request"] = header.index("退款批次号/请求号")
        at["subject"] = header.index("商品名称")
    except ValueError as exc:
        raise BillFormatError(f"a column is missing: {exc}") from None
    lines = []
    for row in reader:
        cells = [cell.strip() for cell in row]
        if len(cells) < len(header):
            raise BillFormatError(f"a short row: {row!r}")
        kind = cells[at["业务类型"]]
        if kind not in (TRADE, REFUND):
            continue  # other business types (e.g. 分账) do not move a buyer's money here
        lines.append(
            BillLine(
                kind=kind,
                trade_no=cells[at["支付宝交易号"]],
                out_trade_no=cells[at["商户订单号"]],
                amount_fen=abs(_fen(cells[at["amount"]])),
                finished_at=cells[at["finished"]],
                out_request_no=cells[at["request"]] if kind == REFUND else "",
                subject=cells[at["subject"]],
            )
        )
    return lines


def parse_bill_zip(data: bytes) -> list[BillLine]:
    """Every trade and refund line of a downloaded bill zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise BillFormatError("not a zip file") from exc
    with archive:
        for info in archive.infolist():
            name = _member_name(info)
            if name.endswith(DETAILS_SUFFIX):
                try:
                    text = archive.read(info).decode(ENCODING)
                except UnicodeDecodeError as exc:
                    raise BillFormatError("the details file is not GBK text") from exc
                return parse_details(text)
    raise BillFormatError("no details file (…_业务明细.csv) in the zip")


def render_details(lines: list[BillLine], *, account: str, bill_date: date) -> str:
    out = io.StringIO()
    out.write("#支付宝业务明细查询\n")
    out.write(f"#账号：[{account}]\n")
    out.write(f"#起始日期：[{bill_date:%Y年%m月%d日} 00:00:00]   ")
    out.write(f"终止日期：[{bill_date:%Y年%m月%d日} 23:59:59]\n")
    out.write(
        "#-----------------------------------------业务明细列表----------------------------------------\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in lines:
        amount = line.amount_fen if line.kind == TRADE else -line.amount_fen
        cells = dict.fromkeys(COLUMNS, "")
        cells.update(
            {
                "支付宝交易号": line.trade_no + "\t",
                "商户订单号": line.out_trade_no + "\t",
                "业务类型": line.kind,
                "商品名称": line.subject,
                "创建时间": line.finished_at,
                "完成时间": line.finished_at,
                "订单金额（元）": _yuan(amount),
                "商家实收（元）": _yuan(amount),
                "退款批次号/请求号": line.out_request_no + ("\t" if line.out_request_no else ""),
                "服务费（元）": "0.00",
                "分润（元）": "0.00",
            }
        )
        writer.writerow([cells[name] for name in COLUMNS])
    out.write(
        "#-----------------------------------------业务明细列表结束------------------------------------\n"
    )
    paid = sum(line.amount_fen for line in lines if line.kind == TRADE)
    refunded = sum(line.amount_fen for line in lines if line.kind == REFUND)
    out.write(f"#交易合计：{sum(line.kind == TRADE for line in lines)}笔，")
    out.write(f"商家实收共{_yuan(paid)}元\n")
    out.write(f"#退款合计：{sum(line.kind == REFUND for line in lines)}笔，")
    out.write(f"商家实收退款共{_yuan(-refunded)}元\n")
    out.write(f"#导出时间：[{bill_date:%Y年%m月%d日} 23:59:59]\n")
    return out.getvalue()


def render_bill_zip(lines: list[BillLine], *, account: str, bill_date: date) -> bytes:
    """A bill zip in Alipay's format (contents in GBK; member names in UTF-8 with the zip's
    UTF-8 flag, which ``parse_bill_zip`` reads as well as Alipay's GBK names)."""
    stem = f"{account}_{bill_date:%Y%m%d}"
    details = render_details(lines, account=account, bill_date=bill_date)
    paid = sum(line.amount_fen for line in lines if line.kind == TRADE)
    summary = (
        "#支付宝业务汇总查询\n"
        f"#账号：[{account}]\n"
        "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）\n"
        f",,{sum(line.kind == TRADE for line in lines)},"
        f"{sum(line.kind == REFUND for line in lines)},{_yuan(paid)}\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix, text in ((DETAILS_SUFFIX, details), (SUMMARY_SUFFIX, summary)):
            written = (bill_date.year, bill_date.month, bill_date.day, 23, 59, 58)
            info = zipfile.ZipInfo(stem + suffix, written)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode(ENCODING))
    return buffer.getvalue()
