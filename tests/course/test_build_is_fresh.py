"""The committed build outputs match the module sources, so nobody forgets to rebuild."""

from tito.package import reference_files
from tito.release import build_outputs
from tito.status import stale_files

REBUILD = "run `tito export --all && tito release --all` and commit the result"


def test_the_package_matches_the_sources(course, module):
    """Is tinytorch/ exactly what `tito export` writes from this module's source?"""
    stale = stale_files(reference_files(course, module))
    assert not stale, f"stale package files {[course.relative(p) for p in stale]}: {REBUILD}"


def test_the_notebooks_match_the_sources(course, module):
    """Are source/ and release/ exactly what `tito release` writes from this module's source?"""
    stale = stale_files(build_outputs(course, module))
    assert not stale, f"stale build outputs {[course.relative(p) for p in stale]}: {REBUILD}"


def test_no_generated_file_is_orphaned(course):
    """Does every generated package file and build folder belong to a module that still exists?"""
    expected = {path for info in course.modules for path in reference_files(course, info)}
    generated = {
        path for path in (course.paths.root / "tinytorch").rglob("*.py")
        if path.name != "__init__.py"
    }
    assert generated == expected
    slugs = {info.slug for info in course.modules}
    for folder in (course.paths.source, course.paths.release):
        assert {child.name for child in folder.iterdir() if child.is_dir()} == slugs
