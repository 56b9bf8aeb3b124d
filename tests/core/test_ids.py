def test_a_public_id_field_made_without_uniqueness_stays_so_when_migrations_clone_it():
    from designmall.core.fields import PublicIdField

    _name, _path, args, kwargs = PublicIdField(prefix="img", null=True, unique=False).deconstruct()
    clone = PublicIdField(*args, **kwargs)

    assert (clone.unique, clone.null, clone.prefix) == (False, True, "img")


def test_a_public_id_field_is_unique_and_not_editable_by_default_after_cloning():
    from designmall.core.fields import PublicIdField

    _name, _path, args, kwargs = PublicIdField(prefix="o").deconstruct()
    clone = PublicIdField(*args, **kwargs)

    assert (clone.unique, clone.editable, clone.max_length) == (True, False, 24)
