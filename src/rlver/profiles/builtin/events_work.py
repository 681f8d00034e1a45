"""Training-pool life events about work and business (hand-written; see ``_types`` for placeholders)."""

from __future__ import annotations

from rlver.profiles.builtin._types import LifeEvent
from rlver.profiles.builtin._types import make_event as _e
from rlver.profiles.schema import HiddenNeed as N

__all__ = ["WORK_EVENTS"]

WORK_EVENTS: tuple[LifeEvent, ...] = (
    _e(
        "passed-over-promotion",
        topic="being passed over for the team-lead job",
        gist="they gave the team-lead job to someone who's been there eight months",
        vague="work stuff, the usual",
        story="Five weeks ago the team-lead post at {workplace} opened up. {name} had been there six years "
        "and had run the team unofficially through the last lead's sick leave. Last Monday the area manager, "
        "Declan, announced by group email that the job had gone to Tamsin, who joined eight months ago and "
        "whom {name} had trained in {her} first week. Nobody spoke to {name} first.",
        feelings="{Sub} feels humiliated and invisible, and underneath, afraid that six years have counted "
        "for nothing.",
        conflict="{Sub} now reports to Tamsin, who is friendly and keeps asking {obj} for help, and {sub} "
        "cannot decide whether to stay or start looking elsewhere.",
        tried="{Sub} asked Declan for feedback and got two vague lines about 'strategic presence'; {sub} has "
        "updated {pos} CV without sending it anywhere.",
        now="{Sub} is doing the bare minimum at work and sleeping badly on Sunday nights.",
        angles={
            N.ANALYSIS: "{name} needs to weigh staying and rebuilding {pos} standing against leaving, and "
            "what 'strategic presence' might honestly have meant.",
            N.UNDERSTAND_OTHERS: "{name} cannot understand why Declan chose Tamsin, or why nobody thought to "
            "tell {obj} face to face.",
            N.SELF_GROWTH: "{name} half-suspects that quietly doing the work and never asking for credit is "
            "part of why {sub} was overlooked.",
            N.EMPATHY: "{name} needs someone to feel how humiliating it is to have trained the person who "
            "got the job.",
            N.VALIDATION: "{name} is sure {sub} was the stronger candidate and that being angry about it is "
            "fair.",
        },
        requires="employed",
        min_age=26,
    ),
    _e(
        "credit-taken",
        topic="my manager taking credit for the supplier review",
        gist="my manager stood up in front of the directors and presented my report as {his} own",
        vague="a thing at work with my manager",
        story="For three months {name} rebuilt the supplier-costs review at {workplace} almost "
        "single-handed, staying late most Thursdays to get the numbers right. Last Wednesday {pos} manager, "
        "Gavin, presented it to the directors as 'my review'; {name}'s name was not on a single slide. Gavin "
        "later thanked {obj} in passing by the kettle. The review is expected to save forty thousand a "
        "quarter.",
        feelings="{Sub} feels robbed, and furious at how normal everyone is acting.",
        conflict="Raising it could make {obj} look petty and sour things with Gavin, who writes {pos} "
        "appraisal; staying quiet means the directors will never know whose work it was.",
        tried="{Sub} emailed a director {pos} original draft and got no reply; a colleague, Rosie, said "
        "Gavin does it to everyone.",
        now="{Sub} rewrites the same angry email every night and never sends it.",
        angles={
            N.PRAISE: "{name} wants someone to recognise the three months of careful work, the late "
            "Thursdays and the forty thousand saved, which nobody has named.",
            N.VENTING: "{name} needs to rant about Gavin and the slide deck without a lecture on office "
            "politics.",
            N.VALIDATION: "{name} is sure {sub} has every right to be angry and wants to hear that it is not "
            "petty.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Gavin would do this, and why Rosie and the "
            "others just shrug.",
            N.ADVICE: "{name} wants a practical way to get credit for the review without wrecking {pos} "
            "appraisal.",
        },
        requires="desk",
        min_age=24,
    ),
    _e(
        "redundancy",
        topic="losing my job in the restructure",
        gist="I was made redundant two weeks ago",
        vague="a work thing that ended",
        story="A month ago management at {workplace} announced a 'restructure'. Two weeks ago {name} was "
        "called into a fifteen-minute meeting with someone from HR {sub} had never met and told {pos} role "
        "was 'no longer required'. After nine years {sub} was walked out the same afternoon with a cardboard "
        "box and a leaving card signed in a hurry. The payout covers about four months of bills.",
        feelings="{Sub} feels ashamed and unmoored; mornings are the worst, when there is nowhere to be.",
        conflict="{Sub} needs another job quickly but has not written a CV in nine years and dreads telling "
        "people what happened.",
        tried="{Sub} has applied for six jobs online and heard nothing back, and tells friends {sub} is "
        "'taking a break'.",
        now="{Sub} spends the days refreshing job sites and avoiding the neighbours' questions.",
        angles={
            N.EMPATHY: "{name} needs someone to grasp the shame and the empty mornings, not to hear that it "
            "is 'an opportunity'.",
            N.ADVICE: "{name} wants concrete help getting back into work: the CV, the applications, what to "
            "say about how the job ended.",
            N.VENTING: "{name} needs to get out the anger about the fifteen-minute meeting and the cardboard "
            "box.",
            N.SELF_GROWTH: "{name} wants to use this to work out what {sub} actually wants from work after "
            "nine years on autopilot.",
            N.ANALYSIS: "{name} needs to think through whether to chase the same kind of job or retrain, "
            "with four months of money in the bank.",
        },
        requires="employed",
        min_age=30,
        ends_job=True,
    ),
    _e(
        "public-dressing-down",
        topic="being torn apart by my boss in Monday's meeting",
        gist="my boss tore into me in front of the whole team on Monday over something that wasn't my fault",
        vague="a bad meeting at work",
        story="Last Monday, in the weekly meeting at {workplace}, {pos} boss, Lorraine, picked up a late "
        "delivery and spent five minutes dissecting it in front of all twelve people. The delay came from a "
        "supplier problem {name} had flagged in writing a fortnight earlier. Nobody spoke up. Lorraine moved "
        "on to the next item and later posted a cheerful emoji in the team chat.",
        feelings="{Sub} feels humiliated and shaky, replays it at night, and is angry at {refl} for "
        "freezing.",
        conflict="{Sub} wants the record set straight, but Lorraine has a reputation for punishing people "
        "who push back.",
        tried="{Sub} forwarded Lorraine the old email without comment and got 'noted' back; a colleague, "
        "Wes, said it was 'just Lorraine being Lorraine'.",
        now="{Sub} dreads next Monday and rehearses answers to imaginary attacks in the shower.",
        angles={
            N.VENTING: "{name} needs to rant about the meeting and the emoji without being told to see "
            "Lorraine's side.",
            N.VALIDATION: "{name} is sure the delay was not {pos} fault and wants to hear that being upset "
            "is justified.",
            N.UNDERSTAND_OTHERS: "{name} cannot work out why Lorraine humiliates people in public, or why "
            "nobody, Wes included, ever speaks up.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} freezes when attacked and how to stand "
            "{pos} ground next time.",
        },
        requires="employed",
        min_age=22,
    ),
    _e(
        "trade-fair-solo",
        topic="running the trade-fair stand on my own",
        gist="I ran the whole trade-fair stand on my own after two people dropped out, and the director "
        "thanked 'the events team'",
        vague="a big work thing last week",
        story="Three weeks before the regional trade fair, both colleagues planning {workplace}'s stand went "
        "off, one on parental leave and one with a broken ankle. {name} took it over: rebuilt the plan in a "
        "weekend, talked a printer into a forty-eight-hour turnaround and ran the stand alone for three "
        "days. It brought in sixty-two new leads, a record. At Friday's all-hands the director thanked 'the "
        "events team'.",
        feelings="{Sub} is proud and exhausted, and stung that the effort disappeared into 'the events "
        "team'.",
        conflict="{Sub} doesn't want to look as if {sub} is fishing for compliments, but if {sub} says "
        "nothing, nobody will ever know.",
        tried="{Sub} put the lead numbers in {pos} weekly report; {pos} manager replied with a thumbs-up.",
        now="{Sub} feels flat and tired, and wonders why {sub} bothers.",
        angles={
            N.PRAISE: "{name} wants someone to name what {sub} pulled off: the rebuilt plan, the printer "
            "deal, three days alone on the stand and sixty-two leads.",
            N.VENTING: "{name} needs to get out the frustration of the thumbs-up and 'the events team'.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why the director and {pos} manager did not see "
            "what happened.",
            N.SELF_GROWTH: "{name} wonders why {sub} always carries things quietly and then resents it, and "
            "how to change that.",
        },
        requires="desk",
        excludes="public_sector",
        min_age=24,
    ),
    _e(
        "hr-complaint-joke",
        topic="the HR complaint about a joke I made",
        gist="someone went to HR about a joke I made in a meeting, a joke {she} laughed at",
        vague="an HR thing",
        story="Two weeks ago, in a planning meeting at {workplace}, {name} joked that a colleague, Marnie, "
        "'would be late to {her} own funeral' after {she} arrived twenty minutes late for the third time. "
        "Everyone laughed, Marnie included. Last Thursday HR emailed: Marnie had complained about 'repeated "
        "belittling comments'. There is a formal meeting next Tuesday, and Marnie now eats lunch elsewhere.",
        feelings="{Sub} feels ambushed and indignant, and a little sick in case there is something {sub} "
        "missed.",
        conflict="{Sub} thinks it was harmless banter in a team that jokes all the time, but the complaint "
        "says 'repeated', and {sub} cannot remember every comment.",
        tried="{Sub} tried to talk to Marnie by the lifts and was told {she} would 'rather keep it formal'; "
        "{sub} has drafted a statement four times.",
        now="{Sub} is sleeping badly and avoiding the kitchen at lunchtime.",
        angles={
            N.VALIDATION: "{name} is convinced {sub} did nothing wrong and wants to hear that a joke "
            "everyone laughed at is not bullying.",
            N.UNDERSTAND_OTHERS: "{name} cannot understand why Marnie laughed along and then went straight "
            "to HR instead of saying something.",
            N.SELF_GROWTH: "{name} is starting to wonder how {pos} jokes land with people who laugh along, "
            "and wants to look at that honestly.",
            N.ANALYSIS: "{name} needs to think through both readings: harmless banter, or a pattern {sub} "
            "could not see from the inside.",
        },
        requires="employed",
        min_age=23,
    ),
    _e(
        "covering-vacancies",
        topic="covering two empty jobs on top of my own since the spring",
        gist="I've been doing two other people's jobs on top of mine since the spring",
        vague="work being a lot",
        story="Since the spring two posts in {name}'s team at {workplace} have been vacant, and {pos} "
        "manager asked {obj} to 'keep things ticking over' until they were filled. That was five months ago. "
        "{Sub} starts at seven, skips lunch and answers messages until ten at night. Last week {sub} forgot "
        "{pos} nephew Teddy's birthday, and on Sunday {sub} cried in the supermarket car park.",
        feelings="{Sub} feels hollowed out, guilty about everything {sub} is not doing, and scared by how "
        "close to the edge {sub} is.",
        conflict="{Sub} cannot keep going like this, but if {sub} drops anything, colleagues and the people "
        "who rely on the service will suffer.",
        tried="{Sub} has raised it twice and was told recruitment is 'in hand'; {sub} took a week off and "
        "spent it answering emails.",
        now="{Sub} is running on caffeine and dread and has stopped seeing friends.",
        angles={
            N.EMPATHY: "{name} needs someone to really understand how exhausted and frightened {sub} is, not "
            "to hear 'look after yourself'.",
            N.ADVICE: "{name} wants concrete ways to push back on the workload and protect {pos} evenings "
            "that would survive a real Monday.",
            N.PRAISE: "{name} wants recognition for five months of holding the team together, which nobody "
            "at work has acknowledged.",
            N.VENTING: "{name} needs to pour out five months of overload without being handed a wellbeing "
            "leaflet.",
            N.SELF_GROWTH: "{name} is beginning to see that {sub} never says no and wants to understand why.",
        },
        requires="employed",
        min_age=25,
    ),
    _e(
        "far-away-offer",
        topic="the job offer four hundred miles away",
        gist="I've been offered a job four hundred miles away and I have to answer by Friday",
        vague="a decision I have to make",
        story="Three weeks ago a recruiter approached {name} about a senior role with a firm four hundred "
        "miles from {city}. After two interviews the offer came last Tuesday: thirty per cent more money, a "
        "proper title and a team {sub} would build {refl}. {Sub} has until Friday to answer. Everything else "
        "is in {city}: friends of fifteen years and {pos} mother's Sunday dinners.",
        feelings="{Sub} is excited one hour and panicked the next, and guilty about the excitement.",
        conflict="The job is what {sub} has worked towards for years, but it means starting again alone, and "
        "turning it down might mean the chance never comes back.",
        tried="{Sub} has made three pro-and-con lists that keep coming out even; {pos} mother said 'do what "
        "makes you happy' in a voice that said the opposite.",
        now="{Sub} has not slept properly since Tuesday.",
        angles={
            N.ANALYSIS: "{name} needs the decision weighed properly: the career and the money against "
            "fifteen years of roots and what {sub} would lose.",
            N.ADVICE: "{name} wants practical ways to decide by Friday, and to test the move before burning "
            "any bridges.",
            N.SELF_GROWTH: "{name} wants to understand what {sub} really values and why {sub} always waits "
            "for permission to want things.",
            N.EMPATHY: "{name} needs someone to feel both the excitement and the guilt without rushing {obj} "
            "to a decision.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand what {pos} mother really meant and why {she} "
            "cannot just say it.",
        },
        requires="employed single",
        min_age=26,
        max_age=50,
    ),
    _e(
        "micromanager",
        topic="my new manager checking every single thing I do",
        gist="my new manager checks every single thing I do, down to the wording of my emails",
        vague="a new manager at work",
        story="Two months ago a new manager, Howard, arrived at {workplace} from a rival company. Since then "
        "{name} has had to copy {him} into every email, keep a daily log and attend a 'check-in' at 8:45. "
        "Last Friday Howard rewrote a routine email {name} had sent to someone {sub} has worked with for "
        "years, who rang to ask if {sub} was all right. {Sub} has done the job well for seven years.",
        feelings="{Sub} feels distrusted and watched, and has started doubting {refl}.",
        conflict="{Sub} wants {pos} autonomy back, but Howard is backed by the director, and complaining "
        "might look like resisting change.",
        tried="{Sub} suggested weekly check-ins and Howard said {he} would 'think about it'; {sub} now "
        "documents everything to avoid questions.",
        now="{Sub} spends more time reporting on the work than doing it and counts the hours to Friday.",
        angles={
            N.VENTING: "{name} needs to let off steam about the logs, the 8:45 check-ins and the rewritten "
            "email without being told to 'manage upwards'.",
            N.ADVICE: "{name} wants a practical approach to getting Howard to back off that will not cost "
            "{obj} {pos} job.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand what drives Howard: insecurity, pressure from "
            "above, or plain distrust.",
            N.ANALYSIS: "{name} needs to weigh adapting, pushing back and leaving, and what each would "
            "really cost.",
            N.VALIDATION: "{name} is sure seven years of good work should earn trust and wants to hear that "
            "expecting it is reasonable.",
        },
        requires="employed",
        min_age=28,
    ),
    _e(
        "costly-mistake",
        topic="the mistake that lost us our biggest client",
        gist="I made a mistake on a quote and we lost our biggest client",
        vague="a mess-up at work",
        story="A month ago {name} sent a renewal quote to {workplace}'s biggest client with a spreadsheet "
        "error that doubled one line of the price. The client's buyer, Ingrid, had been unhappy for months; "
        "the quote was the last straw, and last week {she} signed with a competitor. {Pos} manager, Colm, "
        "said 'these things happen' in the meeting, then quietly moved {obj} off two other accounts.",
        feelings="{Sub} feels sick with guilt and keeps replaying the moment {sub} pressed send.",
        conflict="{Sub} cannot tell how much was {pos} error and how much was a relationship already falling "
        "apart, or whether {pos} job is now at risk.",
        tried="{Sub} wrote Ingrid a personal apology and got a polite two-line reply; {sub} now checks every "
        "figure three times, which makes {obj} slow.",
        now="{Sub} is anxious whenever Colm calls {obj} in and avoids the sales team.",
        angles={
            N.SELF_GROWTH: "{name} wants to understand what the mistake says about how {sub} works under "
            "pressure, and what to change.",
            N.EMPATHY: "{name} needs someone to grasp the sick, replaying guilt, not to say 'everyone makes "
            "mistakes'.",
            N.ADVICE: "{name} wants concrete steps to rebuild Colm's trust and to stop the triple-checking "
            "from eating {pos} days.",
            N.ANALYSIS: "{name} needs to untangle how much of the loss was {pos} error and how much a "
            "relationship that was already failing.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand Colm's quiet reaction and what it really means.",
        },
        requires="desk",
        excludes="public_sector",
        min_age=24,
    ),
    _e(
        "refused-to-sign",
        topic="refusing to sign off the safety checks",
        gist="I refused to sign off safety checks nobody had done, and now half the team won't talk to me",
        vague="some tension at work",
        story="Three weeks ago, at the end of a long Friday at {workplace}, {pos} supervisor, Kenny, asked "
        "{name} to sign the monthly safety checklist 'just this once', though the checks had not been done. "
        "{name} refused, came in on Saturday unpaid to do them, and found a fire door wedged open and an "
        "overloaded extension lead. Since then Kenny has been icy, and two colleagues call {obj} 'the "
        "inspector'.",
        feelings="{Sub} feels proud and isolated at once, and angry that doing the right thing feels like a "
        "punishment.",
        conflict="{Sub} knows the checks mattered, but {sub} works alongside these people every day and "
        "Kenny decides who gets the good shifts.",
        tried="{Sub} has kept {pos} head down and drafted a note to the site manager {sub} has not sent.",
        now="{Sub} eats lunch alone in the car and cannot decide whether to escalate or let it go.",
        angles={
            N.VALIDATION: "{name} is certain refusing was right and wants to hear it said plainly, without a "
            "'but'.",
            N.PRAISE: "{name} wants someone to recognise the unpaid Saturday, the refusal under pressure and "
            "the hazards {sub} found.",
            N.ANALYSIS: "{name} needs to weigh reporting Kenny against keeping the peace, and what each "
            "would cost.",
            N.EMPATHY: "{name} needs someone to understand how lonely it is to be punished for doing the "
            "right thing.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why colleagues side with Kenny rather than with "
            "the person who kept them safe.",
        },
        requires="employed",
        min_age=22,
    ),
    _e(
        "lost-big-client",
        topic="losing the Halden contract",
        gist="my biggest client, nearly half my income, just cancelled on me by email",
        vague="some business stuff",
        story="For four years the Halden Group has been {name}'s biggest client, almost half of {pos} "
        "income. Nine days ago their new procurement manager, Stella, emailed to say they were "
        "'consolidating suppliers' and the contract would end in thirty days. There was no call and no "
        "complaint first. {name} had just taken out a loan for new equipment on the strength of that "
        "contract.",
        feelings="{Sub} feels panicked and oddly betrayed, as if a friend had walked out without a word.",
        conflict="{Sub} has to replace half {pos} income fast, and the loan repayments start next month.",
        tried="{Sub} asked Stella for a meeting and was offered a 'feedback call' in six weeks; {sub} has "
        "emailed old contacts and spent two nights redoing the budget.",
        now="{Sub} does sums at three in the morning and has not told {pos} family how bad it is.",
        angles={
            N.ADVICE: "{name} wants concrete, realistic ways to replace the lost income before the "
            "repayments bite.",
            N.ANALYSIS: "{name} needs to think through fighting for the contract, diversifying or scaling "
            "back, and the risks of each.",
            N.EMPATHY: "{name} needs someone to feel the panic and the sense of betrayal, not to say 'one "
            "door closes'.",
            N.VENTING: "{name} needs to rant about Stella's email and 'consolidating suppliers' before {sub} "
            "can think straight.",
            N.PRAISE: "{name} wants recognition for building a business that kept a big client happy for "
            "four years, on {pos} own.",
        },
        requires="self_employed",
        min_age=24,
    ),
    _e(
        "review-bombing",
        topic="the one-star reviews Vernon posted everywhere",
        gist="one customer has posted one-star reviews about me on every site {he} can find",
        vague="some online nonsense",
        story="Six weeks ago a customer, Vernon, disputed a bill and demanded a full refund for work {name} "
        "had done properly. {name} offered a partial refund; Vernon refused and, over the next week, posted "
        "one-star reviews on Google, Facebook and two local forums calling {obj} 'a cowboy' and 'a liar'. "
        "{Pos} rating fell from 4.9 to 4.3, and enquiries have dropped by a third.",
        feelings="{Sub} feels furious and exposed, and cannot stop checking the reviews.",
        conflict="{Sub} believes {sub} was fair, but replying publicly could make it worse, and silence lets "
        "the lies stand.",
        tried="{Sub} reported the reviews and one was removed; {sub} wrote a long public reply and deleted "
        "it before posting.",
        now="{Sub} refreshes the review pages twenty times a day and flinches at every notification.",
        angles={
            N.VALIDATION: "{name} is sure {sub} handled Vernon fairly and wants to hear that the partial "
            "refund was reasonable.",
            N.VENTING: "{name} needs to let off steam about Vernon and 'cowboy' without being told to rise "
            "above it.",
            N.ADVICE: "{name} wants practical steps to deal with the reviews and win enquiries back.",
            N.PRAISE: "{name} wants recognition for years of good work and a 4.9 rating earned one customer "
            "at a time.",
        },
        requires="self_employed",
    ),
    _e(
        "staff-survey",
        topic="the staff survey that said I'm a bad manager",
        gist="the anonymous staff survey came back and my team basically said I'm a bad manager",
        vague="some feedback at work",
        story="Last month {workplace} ran its anonymous staff survey, and on Tuesday {name} got the results "
        "for {pos} team of nine. {Pos} scores for 'feels listened to' and 'clear direction' were the lowest "
        "in the department. One comment read: 'Nice person, but decisions change daily and we find out "
        "last.' {Pos} director, Faye, wants an action plan by the end of the month.",
        feelings="{Sub} feels exposed and hurt, and keeps trying to guess who wrote which comment.",
        conflict="{Sub} has worked hard to shield the team from pressure above and the feedback feels "
        "unfair, but some of it rings uncomfortably true.",
        tried="{Sub} thanked the team at the Wednesday huddle through gritted teeth and has written three "
        "drafts of the plan.",
        now="{Sub} is second-guessing every decision and being overly nice to everyone.",
        angles={
            N.SELF_GROWTH: "{name} wants to look honestly at the 'decisions change daily' comment and what "
            "{sub} could do differently.",
            N.EMPATHY: "{name} needs someone to feel how much it hurts to read that after years of shielding "
            "the team.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why the team never raised any of this with "
            "{obj} directly.",
            N.ADVICE: "{name} wants concrete actions for the plan that would genuinely change how the team "
            "feels.",
            N.ANALYSIS: "{name} needs to separate what is fair in the survey from pressure above that the "
            "team cannot see.",
        },
        requires="manager",
        min_age=28,
    ),
    _e(
        "back-from-leave",
        topic="coming back from parental leave to find my projects given away",
        gist="I came back from parental leave and my projects had quietly been given to someone else",
        vague="going back to work",
        story="{name} returned to {workplace} four months ago after a year of parental leave. {Pos} two main "
        "projects had been handed to a colleague, Nkem, and nobody had discussed it. {Sub} now works four "
        "days a week, and {pos} manager keeps scheduling the important meetings on Fridays, {pos} day off. "
        "Last week Nkem let slip that {name} was left off a big new project because 'you've got enough on at "
        "home'.",
        feelings="{Sub} feels sidelined and patronised, and guilty for minding.",
        conflict="{Sub} wants {pos} career back without giving up the day with {pos} child, and fears that "
        "asking will brand {obj} as difficult.",
        tried="{Sub} asked for the Friday meeting to move; it moved once and then quietly went back.",
        now="{Sub} feels like a guest at work and a part-timer at home.",
        angles={
            N.VALIDATION: "{name} is sure asking for meetings on working days is reasonable and wants to "
            "hear that {sub} is not being difficult.",
            N.ADVICE: "{name} wants practical ways to get back onto real projects while keeping {pos} "
            "Fridays.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand whether {pos} manager and Nkem mean well or are "
            "quietly sidelining {obj}.",
            N.EMPATHY: "{name} needs someone to feel what it is like to be treated as half a professional "
            "and half a parent.",
            N.VENTING: "{name} needs to vent about the Friday meetings and 'enough on at home' without being "
            "told to be grateful for flexibility.",
        },
        requires="employed parent",
        excludes="teen_children grown_children",
        min_age=28,
        max_age=46,
    ),
)
