"""The DSR family portal."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from portal import config as config_module


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings read from the environment (tests)."""
    app = Flask(
        __name__,
        template_folder=str(config_module.ROOT / "templates"),
        static_folder=str(config_module.ROOT / "static"),
        static_url_path="/assets",
    )
    app.config.update(config_module.load())
    if config:
        app.config.update(config)
    from portal.common.urls import IdConverter

    app.url_map.converters["int"] = IdConverter  # ids past the database's integer: 404

    from portal import jobs
    from portal.common import errors, i18n, logs, security
    from portal.common.access import public
    from portal.data import engine as db_engine
    from portal.data import models  # noqa: F401  (every table known to the metadata)
    from portal.extensions import babel, csrf, db, login_manager

    jobs.init_app(app)

    # First: every request has its id before anything else runs, and its line is last.
    logs.init_app(app)
    if app.config["TRUSTED_PROXIES"] > 0:  # the client's address and scheme, from the proxy
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        proxied = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
        app.wsgi_app = proxied  # type: ignore[method-assign]
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    db.init_app(app)
    csrf.init_app(app)
    # Pages name who is signed in themselves (staff_user, family_email): Flask-Login's
    # own context processor would load the user for every page rendered, public ones too.
    login_manager.init_app(app, add_context_processor=False)
    from portal.common import auth  # noqa: F401  (registers who is signed in)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    app.jinja_env.filters["format_time"] = i18n.format_time
    app.jinja_env.filters["format_day"] = i18n.format_day
    app.jinja_env.globals["zip"] = zip
    with app.app_context():
        db_engine.configure_engine(
            db.engine, guard=bool(app.config["WRITE_GUARD"]),
            busy_timeout_ms=int(app.config["SQLITE_BUSY_TIMEOUT_MS"]),
            lock_timeout_ms=int(app.config["DATABASE_LOCK_TIMEOUT_MS"]),
            connect_timeout_s=int(app.config["DATABASE_CONNECT_TIMEOUT"]))

    security.init_app(app)
    from portal.common.render_cache import fragment

    app.jinja_env.globals["fragment"] = fragment
    errors.init_app(app)
    from portal.cases import security_events

    # After the page's own transaction ends (registered before it: runs after it).
    security_events.init_app(app)
    public(app.view_functions["static"])

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_babel import get_locale

        locale = str(get_locale() or "en")
        return {
            "current_locale": locale,
            "text_direction": i18n.text_direction(locale),
            "languages": app.config["LANGUAGES"],
            "language_names": i18n.LANGUAGE_NAMES,
        }

    @app.before_request
    def _write_intent() -> None:
        db_engine.set_write_intent(request.method not in {"GET", "HEAD", "OPTIONS"})

    @app.after_request
    def _finish_transaction(response: Any) -> Any:
        if response.status_code < 400:
            try:
                db.session.commit()
            except Exception as problem:  # noqa: BLE001 - answered with the right page
                # The page was built but its changes were not kept (the database went
                # away, or someone else saved the same record first): say so instead.
                return errors.commit_failed(problem)
            # Email this page queued goes now, not at the next sweep (best effort: never
            # fails the page). Web processes only queue tasks; workers run them.
            jobs.after_commit()
        else:
            errors.roll_back()  # never raises, even with the database gone
        return response

    from portal.public import bp as public_bp

    app.register_blueprint(public_bp)
    from portal.staff import bp as staff_bp

    app.register_blueprint(staff_bp)
    from portal.family import bp as family_bp

    app.register_blueprint(family_bp)
    from portal.health import bp as health_bp

    app.register_blueprint(health_bp)
    if app.config["PORTAL_ENV"] == "development":  # /dev/emails: never in production
        from portal.devtools import bp as devtools_bp

        app.register_blueprint(devtools_bp)

    # Limits per client on the pages in portal/common/limits.py (after the blueprints:
    # it wraps their views).
    from portal.common import limits

    limits.init_app(app)

    from portal import cli

    cli.init_app(app)
    return app
