"""In-text masking as children really write: without diacritics, in capitals or lower case,
the given name after "em là", schools and their codes, classes spelled out, invisible
characters inside names, phone numbers and e-mail addresses."""

from __future__ import annotations

import pytest

from contests.essay.anonymity import mask_text

ZWSP, ZWNJ, ZWJ, SHY, BOM = "\u200b", "\u200c", "\u200d", "\u00ad", "\ufeff"

CONTEXT = {
    "names": ["Hoàng Khánh Ngân", "Vũ Hữu Hiếu", "Lê Thị Hòa", "Trần Thị Lan"],
    "schools": ["Trường THCS Dương Xá", "Trường THCS Trâu Quỳ"],
    "school_codes": ["THCS-DX", "THCS-TQ"],
    "classes": ["6A1", "6A2"],
}

SPELLINGS = [
    # The author's full name, however it is typed.
    ("Em là Hoang Khanh Ngan.", "Em là [tên]."),
    ("Bạn Vu Huu Hieu giúp em.", "Bạn [tên] giúp em."),
    ("HOÀNG KHÁNH NGÂN, lớp 6A1", "[tên], lớp [lớp]"),
    ("tác giả: hoàng khánh ngân", "tác giả: [tên]"),
    ("hoang khanh ngan viết bài này", "[tên] viết bài này"),
    ("VU HUU HIEU và em", "[tên] và em"),
    ("Hoàng Khánh\nNgân đã báo cáo", "[tên] đã báo cáo"),
    (f"Hoàng{ZWSP} Khánh{ZWNJ} Ngân", "[tên]"),
    (f"Hoàng Kh{SHY}ánh Ng{ZWJ}ân", "[tên]"),
    (f"{BOM}Vũ Hữu Hi{ZWSP}ếu kể", "[tên] kể"),
    # The given name alone: after a self-introduction, or capitalised.
    ("Mọi người gọi em là Hiếu.", "Mọi người gọi em là [tên]."),
    ("em tên là Ngân, năm nay 11 tuổi.", "em tên là [tên], năm nay 11 tuổi."),
    ("mình là hiếu nè", "mình là [tên] nè"),
    ("gọi em là hieu", "gọi em là [tên]"),
    ("Tên em là Khánh Ngân.", "Tên em là [tên]."),
    ("Sau đó Ngân nhắn tin cho cô.", "Sau đó [tên] nhắn tin cho cô."),
    ("NGÂN đã báo cáo tài khoản giả.", "[tên] đã báo cáo tài khoản giả."),
    ("Bạn Hoà cũng giúp.", "Bạn [tên] cũng giúp."),
    # Schools, their codes and classes.
    ("tớ là ngan, học trường duong xa", "tớ là [tên], học trường [trường]"),
    ("Em học Truong Duong Xa.", "Em học [trường]."),
    ("TRƯỜNG THCS DƯƠNG XÁ tổ chức cuộc thi.", "[trường] tổ chức cuộc thi."),
    ("ở trường thcs dương xá", "ở trường [trường]"),
    ("Mã trường em là THCS-DX.", "Mã trường em là [trường]."),
    ("bạn ấy học thcs dx", "bạn ấy học [trường]"),
    ("Em học lớp sáu A một.", "Em học lớp [lớp]."),
    ("lop 6a1 chung em", "lop [lớp] chung em"),
    ("Em ở 6a2.", "Em ở [lớp]."),
    ("Lớp 6 A 1 của em", "Lớp [lớp] của em"),
    # Contact details.
    ("Số của em: 0912 345 678.", "Số của em: [liên hệ]."),
    ("Gọi 0912.345.678 nhé", "Gọi [liên hệ] nhé"),
    ("sđt 0912-345-678", "sđt [liên hệ]"),
    ("số +84 912 345 678", "số [liên hệ]"),
    ("số (+84) 388-123-456", "số [liên hệ]"),
    ("0388123456", "[liên hệ]"),
    ("Điện thoại trường: (024) 3876 0011", "Điện thoại trường: [liên hệ]"),
    ("Email: ngan.hoang2014@gmail.com.", "Email: [liên hệ]."),
    ("Nhắn cho mình: HIEU.VU@Yahoo.com.vn", "Nhắn cho mình: [liên hệ]"),
    ("facebook.com/khanhngan.hoang", "[liên hệ]"),
    # Ordinary words stay.
    ("Ngân hàng nhắc mọi người giữ mật khẩu.", "Ngân hàng nhắc mọi người giữ mật khẩu."),
    ("Hiếu thảo với cha mẹ là điều tốt.", "Hiếu thảo với cha mẹ là điều tốt."),
    ("Hiểu được điều đó, em rất vui.", "Hiểu được điều đó, em rất vui."),
    ("Ngàn lời cảm ơn bạn.", "Ngàn lời cảm ơn bạn."),
    ("Em là học sinh lớp 6.", "Em là học sinh lớp 6."),
    ("em rất hiểu bạn, mình là người tốt", "em rất hiểu bạn, mình là người tốt"),
    ("Viet Nam và Han Quoc", "Viet Nam và Han Quoc"),
    ("Lan truyền tin giả là sai. Lan nói vậy.", "Lan truyền tin giả là sai. [tên] nói vậy."),
    ("mình là Hiếu\nHôm nay em vui.", "mình là [tên]\nHôm nay em vui."),
    ("Năm học 2024 - 2025, em gọi 111.", "Năm học 2024 - 2025, em gọi 111."),
    ("Ngày 12.10.2025 có 1.234.567 lượt xem.", "Ngày 12.10.2025 có 1.234.567 lượt xem."),
]


@pytest.mark.parametrize(("text", "masked"), SPELLINGS, ids=[s[0][:40] for s in SPELLINGS])
def test_mask_text_spellings_children_use(text, masked):
    assert mask_text(text, **CONTEXT) == masked


def test_mask_text_table_has_at_least_thirty_spellings():
    assert len(SPELLINGS) >= 30
