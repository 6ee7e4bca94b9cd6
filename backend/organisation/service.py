"""Reading sites and departments."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import Conflict, NotFound
from backend.organisation.models import Department, Site
from shared.api import DepartmentOut, LocalizedText, SiteOut


async def site(session: AsyncSession, site_id: int) -> Site | None:
    return await session.get(Site, site_id)


async def department(session: AsyncSession, department_id: int) -> Department | None:
    return await session.get(Department, department_id)


def site_out(site: Site) -> SiteOut:
    return SiteOut.model_validate(site)


async def departments_out(session: AsyncSession, site_id: int) -> list[DepartmentOut]:
    rows = await session.scalars(
        select(Department).where(Department.site_id == site_id, Department.active.is_(True)).order_by(
            Department.name_fr)
    )
    return [DepartmentOut(id=d.id, name=LocalizedText(fr=d.name_fr, en=d.name_en)) for d in rows]


async def only_site_id(session: AsyncSession) -> int:
    """The site of a single-site installation; ambiguous or missing sites are an error."""
    ids = list(await session.scalars(select(Site.id).limit(2)))
    if not ids:
        raise NotFound("There is no site yet: run `accueil demo` or create one first.")
    if len(ids) > 1:
        raise Conflict("There are several sites: say which one.")
    return ids[0]
