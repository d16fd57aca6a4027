"""AST pre-conversion of torch code: a libcst engine, rule families and a YAML mapping table.

    from torch2ms.convert.engine import convert_source
    result = convert_source(code)        # result.code, result.edits, result.flags, counts
"""
