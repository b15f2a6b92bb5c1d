"""The one catalog of roles and named permissions, with the default role-permission table.

Routes declare the permission they need with ``web.deps.require("customer.read")``; a route
without a declared permission fails the authorization-matrix test. Operations admins may edit
the role-permission table (audited); these defaults apply when a permission first appears.
"""

from __future__ import annotations

AUTHENTICATED = "authenticated"  # any logged-in staff member (home, me, logout, own password)

ROLES: dict[str, tuple[str, str]] = {
    "manager": ("客户经理", "Customer manager"),
    "branch_manager": ("网点负责人", "Branch manager"),
    "approver": ("审批人", "Approver"),
    "risk_manager": ("风险经理", "Risk manager"),
    "strategy_analyst": ("策略分析师", "Strategy analyst"),
    "fraud_investigator": ("反欺诈调查员", "Fraud investigator"),
    "ops_admin": ("运营管理员", "Operations admin"),
    "auditor": ("审计员", "Auditor"),
    "executive": ("行领导", "Executive"),
}

# code: (Chinese, English)
PERMISSIONS: dict[str, tuple[str, str]] = {
    # org / kernel
    "institution.read": ("查看机构", "View institutions"),
    "institution.manage": ("管理机构", "Manage institutions"),
    "staff.read": ("查看员工", "View staff"),
    "staff.manage": ("管理员工", "Manage staff"),
    "role.read": ("查看角色权限", "View roles and permissions"),
    "role.manage": ("配置角色权限", "Edit the role-permission table"),
    "audit.read": ("查看审计日志", "View the audit log"),
    "calendar.manage": ("维护工作日历", "Maintain the working calendar"),
    "system.metrics": ("读取运行指标", "Read service metrics"),
    # customers and villages
    "customer.read": ("查看客户", "View customers"),
    "customer.create": ("新建客户", "Create customers"),
    "customer.update": ("维护客户信息", "Update customer files"),
    "customer.reveal_pii": ("查看完整个人信息", "Reveal full personal data"),
    "customer.verify": ("身份核验", "Verify identity"),
    "customer.assign": ("移交客户", "Reassign customers"),
    "blacklist.read": ("查看黑名单", "View blacklists"),
    "blacklist.manage": ("维护黑名单", "Maintain blacklists"),
    "village.read": ("查看村居", "View villages"),
    "village.manage": ("维护村居", "Maintain villages and households"),
    "campaign.manage": ("整村授信管理", "Run whole-village credit campaigns"),
    "campaign.review": ("授信评议", "Record committee reviews"),
    # ledger and deposits
    "ledger.read": ("查看总账与分录", "View the general ledger and journal"),
    "account.read": ("查看账户", "View accounts"),
    "account.open": ("开立账户", "Open accounts"),
    "account.transfer": ("转账", "Transfer money"),
    "account.hold": ("冻结金额/止付", "Place and release holds"),
    "account.freeze": ("账户冻结", "Freeze and unfreeze accounts"),
    "deposit.read": ("查看存款", "View deposits"),
    "deposit.product": ("维护存款产品", "Maintain deposit products"),
    "deposit.trade": ("存款交易", "Buy and withdraw deposits"),
    "eod.read": ("查看日终", "View end-of-day status"),
    "eod.run": ("执行日终", "Run end-of-day"),
    # decisions
    "decision.read": ("查看决策策略", "View decision strategies"),
    "decision.author": ("编辑决策策略", "Author decision strategies"),
    "decision.approve": ("审核决策策略", "Approve decision versions"),
    "decision.activate": ("上线决策策略", "Activate and roll back decisions"),
    "decision.evaluate": ("运行决策", "Evaluate decisions"),
    "decision.records": ("查看决策记录", "View decision records"),
    # workflow
    "task.read": ("查看待办", "View tasks"),
    "task.act": ("处理待办", "Act on tasks"),
    "process.read": ("查看流程", "View processes"),
    "process.manage": ("维护流程定义", "Maintain process definitions"),
    "sla.read": ("查看时效看板", "View the SLA board"),
    # lending
    "loan_product.read": ("查看贷款产品", "View loan products"),
    "loan_product.manage": ("维护贷款产品", "Maintain loan products"),
    "lpr.manage": ("维护LPR", "Maintain LPR values"),
    "application.read": ("查看贷款申请", "View loan applications"),
    "application.create": ("录入贷款申请", "Create loan applications"),
    "loan.approve": ("贷款审批", "Approve loans"),
    "line.read": ("查看授信", "View credit lines"),
    "line.manage": ("授信管理", "Manage credit lines"),
    "line.freeze": ("额度冻结", "Freeze credit lines"),
    "contract.sign": ("合同签署", "Sign contracts"),
    "drawdown.create": ("用信出账", "Create drawdowns"),
    "loan.read": ("查看贷款", "View loans"),
    "repayment.create": ("还款", "Take repayments"),
    "repayment.reverse": ("冲正还款", "Reverse repayments"),
    "loan.classify": ("贷款风险分类", "Classify loans (five levels) by hand"),
    "collection.work": ("催收", "Work collection cases"),
    "inspection.perform": ("贷后检查", "Perform post-loan inspections"),
    "portfolio.read": ("资产质量视图", "View the portfolio"),
    # fraud and devices
    "fraud.read": ("查看反欺诈", "View fraud alerts"),
    "fraud.manage": ("处置反欺诈", "Handle fraud cases and controls"),
    "device.read": ("查看设备", "View devices"),
    "device.manage": ("设备管理", "Manage devices and keys"),
}

_ALL = set(PERMISSIONS)
_READ_ALL = {p for p in PERMISSIONS if p.endswith(".read")} | {"decision.records"}

DEFAULT_ROLE_PERMISSIONS: dict[str, set[str]] = {
    "manager": {
        "institution.read", "staff.read", "customer.read", "customer.create", "customer.update",
        "customer.verify", "village.read", "village.manage", "campaign.manage", "blacklist.read",
        "account.read", "account.open", "account.transfer", "deposit.read", "deposit.trade",
        "task.read", "task.act", "process.read", "loan_product.read", "application.read",
        "application.create", "line.read", "contract.sign", "drawdown.create", "loan.read",
        "repayment.create", "inspection.perform", "collection.work", "decision.evaluate",
    },
    "branch_manager": {
        "institution.read", "staff.read", "customer.read", "customer.assign", "customer.reveal_pii",
        "village.read", "campaign.manage", "campaign.review", "blacklist.read", "account.read",
        "deposit.read", "task.read", "task.act", "process.read", "sla.read", "loan_product.read",
        "application.read", "loan.approve", "line.read", "loan.read", "portfolio.read", "eod.read",
    },
    "approver": {
        "institution.read", "customer.read", "customer.reveal_pii", "blacklist.read", "task.read",
        "task.act", "process.read", "sla.read", "loan_product.read", "application.read",
        "loan.approve", "line.read", "loan.read", "decision.read", "decision.records", "account.read",
    },
    "risk_manager": {
        "institution.read", "staff.read", "customer.read", "customer.reveal_pii", "blacklist.read",
        "blacklist.manage", "task.read", "task.act", "process.read", "sla.read", "application.read",
        "loan.approve", "line.read", "line.freeze", "line.manage", "loan.read", "loan.classify", "portfolio.read",
        "collection.work", "repayment.reverse", "account.read", "account.hold", "account.freeze",
        "decision.read", "decision.records", "fraud.read", "eod.read", "village.read",
        "deposit.read", "loan_product.read",
    },
    "strategy_analyst": {
        "institution.read", "decision.read", "decision.author", "decision.approve", "decision.activate",
        "decision.evaluate", "decision.records", "task.read", "task.act", "process.read",
        "loan_product.read",
    },
    "fraud_investigator": {
        "institution.read", "customer.read", "customer.reveal_pii", "blacklist.read", "blacklist.manage",
        "account.read", "account.hold", "account.freeze", "fraud.read", "fraud.manage", "line.read",
        "line.freeze", "task.read", "task.act", "process.read", "decision.records", "device.read",
    },
    "ops_admin": {
        "institution.read", "institution.manage", "staff.read", "staff.manage", "role.read",
        "role.manage", "calendar.manage", "system.metrics", "eod.read", "eod.run",
        "deposit.product", "deposit.read", "loan_product.read", "loan_product.manage", "lpr.manage",
        "process.read", "process.manage", "task.read", "task.act", "sla.read", "ledger.read",
        "account.read", "device.read", "device.manage", "village.read", "village.manage",
    },
    "auditor": _READ_ALL | {"audit.read"},
    "executive": (_READ_ALL - {"role.read"}) | {"sla.read", "portfolio.read"},
}

for _role, _perms in DEFAULT_ROLE_PERMISSIONS.items():
    _unknown = _perms - _ALL
    if _unknown:  # pragma: no cover - guards the catalog itself
        raise RuntimeError(f"role {_role} names unknown permissions {sorted(_unknown)}")
