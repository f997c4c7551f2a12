"""``{% url %}`` through ``reverse_once``: the same tag, arguments and errors, each address reversed once per
process (installed as a builtin in settings, so it replaces Django's tag in every template)."""

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from vom.core.reversing import reverse_once

register = template.Library()


class ReversedOnceURLNode(URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_once(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's ``{% url %}`` (same syntax, parsed by Django), rendered by ``ReversedOnceURLNode``."""
    node = django_url(parser, token)
    return ReversedOnceURLNode(node.view_name, node.args, node.kwargs, node.asvar)
