# -*- coding: utf-8 -*-
# Copyright (c) mailops.smtp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the TLS side of one connector: chain, name, expiry, protocol, STARTTLS enforcement, DANE.

Private to the collection: may change without notice.
"""

from __future__ import annotations

import asyncio
import time

from ansible_collections.mailops.smtp.plugins.module_utils import _tls
from ansible_collections.mailops.smtp.plugins.module_utils._model import is_ip, is_loopback
from ansible_collections.mailops.smtp.plugins.module_utils._smtp import policy
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.engine import Session, base_result, with_retries
from ansible_collections.mailops.smtp.plugins.module_utils._smtp.probe import envelope_address


def finding(fid, category, severity, message, hint):
    return {"id": fid, "category": category, "severity": severity, "message": message, "hint": hint}


async def tls_check_connector(connector, options):
    async def attempt(_number):
        return await _check_once(connector, options)

    out = await with_retries(attempt, options["retries"], options["retry_delay"])
    return out


async def _open(connector, options, verify):
    session = Session(connector, options["ehlo_name"], options.get("resolver"))
    try:
        await session.open(verify=verify, min_version="1.2")
        return session, None
    except Exception as exc:  # pylint: disable=broad-except
        error = await session.classify(exc)
        await session.close()
        return session, error


async def _check_once(connector, options):
    started = time.monotonic()
    out = base_result(connector)
    findings = []
    warnings = []
    out.update({"tls": None, "certificate": None, "starttls_advertised": None, "starttls_enforced": None,
                "dane": None, "error": None})
    security = connector["security"]
    declared_verify = policy.tls_settings(connector)["verify"]
    min_version = policy.tls_settings(connector)["min_version"]
    name = policy.server_name(connector)

    if security == "none":
        findings.append(finding(
            "no_tls", "starttls_unavailable", "warning",
            "The connector does not use TLS (security: none); nothing to check.",
            "Use security: starttls (port 25/587) or tls (465) unless the link never leaves a trusted host."))
        session, error = await _open(connector, options, verify=False)
        await session.close()
        out["error"] = error
        return _finish(out, findings, warnings, started, session)

    session, error = await _open(connector, options, verify=True)
    verify_error = None
    if error and error["category"] == "tls_certificate":
        verify_error = error
        session, error = await _open(connector, options, verify=False)
    if session.capabilities_before_tls is not None:
        out["starttls_advertised"] = bool(session.capabilities_before_tls.get("starttls"))
    if error:
        out["error"] = error
        if error["category"] == "starttls_unavailable":
            out["starttls_advertised"] = False
        await session.close()
        return _finish(out, findings, warnings, started, session)

    tls = session.tls or {}
    der, chain = tls.get("_der"), tls.get("_chain")
    await session.close()
    if not tls:
        # starttls: opportunistic and the server offers no STARTTLS: nothing to verify.
        findings.append(finding(
            "starttls_not_advertised", "starttls_unavailable", "warning",
            "The server does not offer STARTTLS; with starttls: opportunistic, mail goes in clear text.",
            "Enable STARTTLS on the server for this port, or check whether something strips it."))
        await _check_enforcement(connector, options, out, findings)
        return _finish(out, findings, warnings, started, session)
    facts = tls.get("peer_certificate") or {}
    out["certificate"] = facts
    out["tls"] = {
        "version": tls.get("version"),
        "cipher": tls.get("cipher"),
        "bits": tls.get("bits"),
        "verified": verify_error is None,
        "server_name": name,
        "verify_error": verify_error["message"] if verify_error else None,
    }
    severity = "error" if declared_verify else "warning"
    if verify_error:
        if facts.get("expired"):
            fid, msg = "certificate_expired", "The certificate expired on %s." % facts.get("not_after")
        elif facts.get("name_matches") is False:
            fid, msg = ("certificate_name_mismatch", "The certificate names %s, not %s." % (
                ", ".join((facts.get("dns_names") or []) + (facts.get("ip_addresses") or [])) or
                facts.get("common_name"), name))
        else:
            fid, msg = "certificate_untrusted", "The chain does not lead to a trusted CA (issuer: %s)." % (
                facts.get("issuer"))
        findings.append(finding(fid, "tls_certificate", severity, msg, verify_error["hint"]))
    days_left = facts.get("days_left")
    if days_left is not None and not facts.get("expired") and days_left < options["min_days_valid"]:
        findings.append(finding(
            "certificate_expiring", "tls_certificate", "error",
            "The certificate expires in %d days (on %s), fewer than min_days_valid %d." % (
                days_left, facts.get("not_after"), options["min_days_valid"]),
            "Renew the certificate now; automated renewal (ACME) usually renews 30 days ahead, so a "
            "certificate this close to expiry means renewal is failing."))
    if tls.get("version") and not policy.version_at_least(tls["version"], min_version):
        findings.append(finding(
            "tls_version_below_minimum", "tls_protocol", "error",
            "The server negotiated %s, below tls.min_version %s." % (tls["version"], min_version),
            "Enable TLS %s on the server (or lower tls.min_version if policy allows)." % min_version))
    if not declared_verify:
        warnings.append("tls.verify is false for this connector: clients using it do not verify the certificate.")

    if security == "starttls":
        await _check_enforcement(connector, options, out, findings)

    if options.get("dane"):
        out["dane"] = await _dane(connector, options, der, chain, name, findings, warnings)
    return _finish(out, findings, warnings, started, session)


async def _check_enforcement(connector, options, out, findings):
    out["starttls_enforced"] = await _starttls_enforced(connector, options)
    if out["starttls_enforced"] is False:
        required = connector.get("starttls") == "required"
        findings.append(finding(
            "starttls_not_enforced", "starttls_not_enforced", "error" if required else "warning",
            "The server accepts MAIL FROM on a clear-text link (before STARTTLS).",
            "Clients that do not insist on STARTTLS will send mail (and maybe credentials) in clear "
            "text, and an attacker can strip STARTTLS. Require TLS on the server for this port "
            "(Postfix: smtpd_tls_security_level = encrypt on submission)."))


async def _starttls_enforced(connector, options):
    """False when the server answers 2xx to MAIL FROM before STARTTLS; None when it cannot be told."""
    plain = dict(connector)
    plain["security"] = "none"
    session = Session(plain, options["ehlo_name"], options.get("resolver"))
    sender = envelope_address((connector.get("senders") or {}).get("default")) or "postmaster@invalid"
    try:
        await session.open()
        try:
            await session.mail(sender)
        except Exception as exc:  # pylint: disable=broad-except
            code = getattr(exc, "code", None)
            return None if code is None else True
        await session.rset()
        return False
    except Exception:  # pylint: disable=broad-except
        return None
    finally:
        await session.close()


async def _dane(connector, options, der, chain, name, findings, warnings):
    port = int(connector["port"])
    if is_ip(name):
        return {"status": "not_applicable", "reason": "no host name to look up TLSA for (set tls.server_name)"}
    if is_loopback(name):
        return {"status": "not_applicable", "reason": "loopback name"}
    if not _tls.HAS_DNSPYTHON:
        warnings.append("dnspython is not installed where the task runs: DANE was not checked "
                        "(python -m pip install dnspython).")
        return {"status": "unchecked", "reason": "dnspython missing"}
    loop = asyncio.get_running_loop()
    records, authenticated, error = await loop.run_in_executor(
        None, _tls.fetch_tlsa, name, port, options.get("dns_nameservers"), options.get("dns_port") or 53,
        options.get("dns_timeout") or 5.0)
    qname = _tls.tlsa_name(name, port)
    if error:
        warnings.append(error)
        return {"status": "error", "name": qname, "reason": error}
    if not records:
        return {"status": "none", "name": qname, "records": []}
    match = _tls.match_tlsa(records, der, chain)
    status = "match" if match["matched"] else ("mismatch" if match["checked"] else "unchecked")
    result = {"status": status, "name": qname, "records": records, "dnssec": authenticated,
              "matched": match["matched"], "not_checkable": match["not_checkable"]}
    if status == "mismatch":
        findings.append(finding(
            "dane_mismatch", "dane", "error",
            "No TLSA record at %s matches the certificate the server presents." % qname,
            "Publish TLSA records for the new certificate or key before switching (3 1 1 = SHA-256 of the "
            "public key survives renewals that keep the key); DANE-validating senders will refuse delivery."))
    if not authenticated:
        warnings.append("The TLSA records at %s are not DNSSEC-authenticated (no AD flag): DANE "
                        "senders ignore them." % qname)
    return result


def _finish(out, findings, warnings, started, session):
    out["findings"] = findings
    out["warnings"] = warnings + [w for w in session.warnings if "tls.verify" not in w]
    out["timings"] = dict(session.timings, total=round((time.monotonic() - started) * 1000.0, 1))
    out["changed"] = False
    if out["error"] or any(f["severity"] == "error" for f in findings):
        out["status"] = "failed"
    elif out["warnings"] or findings:
        out["status"] = "warning"
    else:
        out["status"] = "ok"
    return out
