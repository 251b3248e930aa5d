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

    from portal.common import errors, i18n, security
    from portal.common.access import public
    from portal.data import engine as db_engine
    from portal.data import models  # noqa: F401  (every table known to the metadata)
    from portal.extensions import babel, csrf, db, login_manager

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
        db_engine.configure_engine(db.engine, guard=bool(app.config["WRITE_GUARD"]))

    security.init_app(app)
    from portal.common.render_cache import fragment

    app.jinja_env.globals["fragment"] = fragment
    errors.init_app(app)
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
            db.session.commit()
        else:
            db.session.rollback()
        return response

    from portal.public import bp as public_bp

    app.register_blueprint(public_bp)
    from portal.staff import bp as staff_bp

    app.register_blueprint(staff_bp)
    from portal.family import bp as family_bp

    app.register_blueprint(family_bp)
    if app.config["PORTAL_ENV"] == "development":  # /dev/emails: never in production
        from portal.devtools import bp as devtools_bp

        app.register_blueprint(devtools_bp)

    from portal import cli

    cli.init_app(app)
    return app
