"""Alipay's daily trade bill: what the sandbox serves reads back the same, and the bills
Alipay itself serves (GBK names, padded cells, comment lines) are read."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from designmall.payments import bills

DAY = date(2026, 12, 4)

digits = st.text(alphabet="0123456789", min_size=16, max_size=32)
lines = st.lists(
    st.builds(
        bills.BillLine,
        kind=st.sampled_from([bills.TRADE, bills.REFUND]),
        trade_no=digits,
        out_trade_no=st.text(alphabet="DM0123456789abcdef", min_size=8, max_size=40),
        amount_fen=st.integers(min_value=1, max_value=100_000_000_00),
        finished_at=st.just("2026-12-04 10:31:02"),
        subject=st.text(alphabet="设计周灯具 ,Lamp-", max_size=30),
    ).map(
        lambda line: bills.BillLine(
            **{**line.__dict__, "out_request_no": "RF" + line.trade_no}
            if line.kind == bills.REFUND
            else line.__dict__
        )
    ),
    max_size=20,
)


@given(lines)
def test_a_rendered_bill_reads_back_line_for_line(bill_lines):
    data = bills.render_bill_zip(bill_lines, account="2088000000000000", bill_date=DAY)

    read = bills.parse_bill_zip(data)

    assert read == [
        bills.BillLine(**{**line.__dict__, "subject": line.subject.strip()}) for line in bill_lines
    ]


ALIPAY_DETAILS = """#支付宝业务明细查询
#账号：[20881234567890120156]
#起始日期：[2026年12月04日 00:00:00]   终止日期：[2026年12月05日 00:00:00]
#-----------------------------------------业务明细列表----------------------------------------
支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
2026120422001400001000000001	,DM20261204aa	,交易,胡桃木台灯,2026-12-04 10:30:00,2026-12-04 10:31:02,,,,,buy***@example.com,129.00,129.00,0.00,0.00,0.00,0.00,,,0.00,0.00,	,-0.77,0.00,
2026120422001400001000000001	,DM20261204aa	,退款,胡桃木台灯,2026-12-04 10:30:00,2026-12-04 15:00:00,,,,,buy***@example.com,-29.00,-29.00,0.00,0.00,0.00,0.00,,,0.00,0.00,RF20261204bb	,0.17,0.00,
2026120422001400001000000002	,DM20261204cc	,分账,胡桃木台灯,2026-12-04 10:30:00,2026-12-04 15:00:00,,,,,,1.00,1.00,0.00,0.00,0.00,0.00,,,0.00,0.00,	,0.00,0.00,
#-----------------------------------------业务明细列表结束------------------------------------
#交易合计：1笔，商家实收共129.00元，商家优惠共0.00元
#退款合计：1笔，商家实收退款共-29.00元，商家优惠退款共0.00元
#导出时间：[2026年12月05日 09:12:33]
"""  # noqa: E501 (the bill's rows as Alipay writes them)


class GbkNamed(zipfile.ZipInfo):
    """A member named in GBK without the UTF-8 flag, as Alipay's zips have them."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits


def alipay_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (
            ("20881234567890120156_20261204_业务明细(汇总).csv", "#汇总\n"),
            ("20881234567890120156_20261204_业务明细.csv", ALIPAY_DETAILS),
        ):
            archive.writestr(GbkNamed(name), text.encode("gbk"))
    return buffer.getvalue()


def test_a_bill_as_alipay_serves_it_is_read():
    read = bills.parse_bill_zip(alipay_zip())

    assert read == [
        bills.BillLine(
            kind=bills.TRADE,
            trade_no="2026120422001400001000000001",
            out_trade_no="DM20261204aa",
            amount_fen=12_900,
            finished_at="2026-12-04 10:31:02",
            subject="胡桃木台灯",
        ),
        bills.BillLine(
            kind=bills.REFUND,
            trade_no="2026120422001400001000000001",
            out_trade_no="DM20261204aa",
            amount_fen=2_900,
            finished_at="2026-12-04 15:00:00",
            out_request_no="RF20261204bb",
            subject="胡桃木台灯",
        ),
    ]


@pytest.mark.parametrize(
    "data",
    [b"not a zip", bills.render_bill_zip([], account="1", bill_date=DAY)[:30]],
    ids=["not a zip", "a truncated zip"],
)
def test_what_is_not_a_bill_is_refused_clearly(data):
    with pytest.raises(bills.BillFormatError):
        bills.parse_bill_zip(data)


def test_a_zip_without_the_details_file_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(bills.BillFormatError, match="details"):
        bills.parse_bill_zip(buffer.getvalue())
