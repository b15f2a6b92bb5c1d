"""Typed errors of the decision engine (each maps to problem+json with a stable code)."""

from __future__ import annotations

from zhanye.core.errors import Conflict, DomainError, NotFound, ValidationFailed


class DecisionNotFound(NotFound):
    code = "decision_not_found"
    title_zh = "决策或版本不存在"
    title_en = "The decision or version does not exist"


class InvalidFacts(ValidationFailed):
    code = "decision_input_invalid"
    title_zh = "决策输入不符合输入模式"
    title_en = "The decision input does not match the input schema"


class InvalidModel(ValidationFailed):
    code = "decision_model_invalid"
    title_zh = "决策模型(JDM)无效"
    title_en = "The decision model (JDM) is not valid"


class InvalidSuite(ValidationFailed):
    code = "decision_suite_invalid"
    title_zh = "测试用例文件无效"
    title_en = "The test case file is not valid"


class MakerChecker(Conflict):
    code = "maker_checker"
    title_zh = "制作人不能审核自己的版本"
    title_en = "The author of a version cannot approve it"


class SuiteFailing(Conflict):
    code = "test_suite_failing"
    title_zh = "测试用例未全部通过，不能提交"
    title_en = "The test suite does not pass; the version cannot be submitted"


class NoActiveVersion(Conflict):
    code = "no_active_version"
    title_zh = "该决策没有生效版本"
    title_en = "The decision has no active version"


class EvaluationFailed(DomainError):
    code = "decision_evaluation_failed"
    status = 422
    title_zh = "决策执行失败"
    title_en = "The decision could not be evaluated"
