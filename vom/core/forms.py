from vom.core.errors import DomainError


def add_domain_error(form, error: DomainError) -> None:
    """Show a refused action on the form: its message, then each thing that is missing or wrong."""
    form.add_error(None, error.message)
    for problem in error.problems:
        form.add_error(None, problem)
