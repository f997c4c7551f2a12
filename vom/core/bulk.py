"""Inserting many new rows at once, for the demo and benchmark seeders.

On PostgreSQL the rows go in through ``COPY … FROM STDIN``: their ids are drawn from the table's sequence
first (one query), so each object learns its id as ``bulk_create`` would tell it, and the rows are then
streamed without Django compiling, nor psycopg parsing, an INSERT with thousands of placeholders (which
was most of the seeders' time). Elsewhere it is ``bulk_create``. Like ``bulk_create``, it calls no
``save()`` and sends no signals; unlike it, it is meant only for objects that are all new.

``new(Model, **fields)`` makes such an object without ``Model.__init__``, whose per-field work (a default
looked up, a descriptor called, for each of the model's fields) was a third of the seeders' time.
"""

from functools import cache

from django.db import connections, router
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault

# Fields whose Python value is what the column takes: read as is, without Django's per-value preparation.
_AS_IS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "EmailField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def new(model, **values):
    """A new, unsaved ``model`` instance with ``values``, as ``model(**values)`` makes it for a bulk insert:
    each field not given takes its default, a related object given by its field's name sets the id and is
    kept as the cached related object. Only concrete fields are accepted; no ``pre_init``/``post_init`` signal
    is sent (like ``bulk_insert``, for rows that no code watches as they are built)."""
    defaults, made, relations, attnames = _blueprint(model)
    obj = model.__new__(model)
    obj._state = ModelState()
    fields = obj.__dict__
    fields.update(defaults)
    for attname, make in made:
        if attname not in values:  # a value given is not made first (a uuid, a timestamp) only to be replaced
            fields[attname] = make()
    for name, value in values.items():
        if (relation := relations.get(name)) is not None:
            fields[relation.attname] = None if value is None else getattr(value, relation.target_field.attname)
            relation.set_cached_value(obj, value)
        elif name in attnames:
            fields[name] = value
        else:
            raise TypeError(f"{model.__name__}() got an unexpected keyword argument {name!r}")
    return obj


@cache
def _blueprint(model):
    """A model's field defaults (the values, and the callables to call for each instance), its forward
    relations by name, and its fields' attribute names."""
    defaults, made, relations = {}, [], {}
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            made.append((field.attname, field.default))
        else:
            defaults[field.attname] = field.get_default()
        if field.is_relation and (field.many_to_one or field.one_to_one):
            relations[field.name] = field
    return defaults, tuple(made), relations, frozenset(defaults) | {attname for attname, _ in made}


def bulk_insert(objs: list, *, batch_size: int = 5000) -> list:
    """Insert the new model instances ``objs`` (all of one model); set their ids; return them."""
    if not objs:
        return objs
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    fields = []
    for field in meta.local_concrete_fields:
        if field.has_db_default():
            unset = sum(isinstance(getattr(obj, field.attname), DatabaseDefault) for obj in objs)
            if unset == len(objs):
                continue  # the column's default, as an INSERT leaving it out
            if unset:  # some rows with the default, some without: what bulk_create sorts out
                return model.objects.bulk_create(objs, batch_size=batch_size)
        fields.append(field)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        new = [obj for obj in objs if obj.pk is None]
        if new:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(new)],
            )
            for obj, (value,) in zip(new, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
        readers = [_reader(field, connection) for field in fields]
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([read(obj) for read in readers])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


def _reader(field, connection):
    attname = field.attname
    if field.is_relation:
        # A related object that had no id when it was assigned (saved since, as bulk_create also allows).
        def related(obj):
            value = getattr(obj, attname)
            if value is None and field.is_cached(obj) and (target := field.get_cached_value(obj)) is not None:
                value = target.pk
            return value

        return related
    if field.get_internal_type() in _AS_IS:
        return lambda obj: getattr(obj, attname)
    if field.get_internal_type() in {"DateField", "DateTimeField"} and not (field.auto_now or field.auto_now_add):

        def when(obj):  # a date, or an aware datetime, as is; a naive one made aware as Django does
            value = getattr(obj, attname)
            if getattr(value, "tzinfo", False) is None:
                return field.get_db_prep_save(value, connection)
            return value

        return when
    # Dates and times (auto_now), files (stored on pre_save), JSON: as Django prepares them for an INSERT.
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
