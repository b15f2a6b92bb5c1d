"""Typed errors of customers and KYC."""

from __future__ import annotations

from zhanye.core.errors import Conflict, DomainError


class CustomerExistsElsewhere(Conflict):
    code = "customer_exists_elsewhere"
    title_zh = "该证件号的客户已在其他机构建档"
    title_en = "A customer with this ID number is filed at another institution"


class CustomerBlocked(DomainError):
    code = "customer_blocked"
    status = 409
    title_zh = "客户未通过准入预检（黑名单或身份未核验）"
    title_en = "The customer fails the pre-checks (blacklist or unverified identity)"


class UnsupportedImage(DomainError):
    code = "unsupported_image_type"
    status = 415
    title_zh = "只支持 JPEG、PNG、HEIC 格式的图片"
    title_en = "Only JPEG, PNG and HEIC images are accepted"


class ImageTooLarge(DomainError):
    code = "image_too_large"
    status = 413
    title_zh = "图片过大"
    title_en = "The image is too large"


class SectionReadOnly(Conflict):
    code = "section_read_only"
    title_zh = "此栏目由系统填写，不能手工修改"
    title_en = "This section is filled by the system and cannot be edited by hand"


class CodeInvalid(DomainError):
    code = "sms_code_invalid"
    status = 422
    title_zh = "短信验证码错误或已过期"
    title_en = "The SMS code is wrong or has expired"
